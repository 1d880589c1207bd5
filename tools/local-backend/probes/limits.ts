/**
 * Admin-only probes that push a function into each of Convex's limits, for the local backend's limit tests
 * (tests/backend/test_limits.py). Bundled into the app as `_probes/limits`; internal, so only a caller holding the
 * admin key reaches them. They write into the app's own `probe_rows` table, never into the component.
 */
import { internalMutationGeneric as internalMutation, internalQueryGeneric as internalQuery } from "convex/server";
import { v } from "convex/values";

const pad = (bytes: number) => "x".repeat(bytes);

/** Insert n rows of `bytes` padding each: 16,000 documents or 16 MiB written. */
export const insertRows = internalMutation({
  args: { n: v.number(), bytes: v.number() },
  returns: v.number(),
  handler: async (ctx, { n, bytes }) => {
    for (let i = 0; i < n; i++) await ctx.db.insert("probe_rows", { i, pad: pad(bytes) });
    return n;
  },
});

/** Read up to n rows, then write a marker: 32,000 documents or 16 MiB read (the marker must not survive). */
export const readRowsThenWrite = internalMutation({
  args: { n: v.number(), newestFirst: v.boolean() },
  returns: v.number(),
  handler: async (ctx, { n, newestFirst }) => {
    const rows = await ctx.db.query("probe_rows").order(newestFirst ? "desc" : "asc").take(n);
    await ctx.db.insert("probe_rows", { i: -1, pad: "marker" });
    return rows.length;
  },
});

/** n separate point reads (each one index range), then a marker write: 4,096 index ranges. */
export const manyRanges = internalMutation({
  args: { n: v.number() },
  returns: v.number(),
  handler: async (ctx, { n }) => {
    const first = await ctx.db.query("probe_rows").first();
    for (let i = 0; i < n; i++) await ctx.db.query("probe_rows").withIndex("by_creation_time", (q) => q.gte("_creationTime", i)).first();
    await ctx.db.insert("probe_rows", { i: -1, pad: "marker" });
    return first === null ? 0 : n;
  },
});

/** Write a marker, then run JavaScript for `ms` (`readEveryMs` > 0: with a database read every that many ms). */
export const spin = internalMutation({
  args: { ms: v.number(), readEveryMs: v.number() },
  returns: v.number(),
  handler: async (ctx, { ms, readEveryMs }) => {
    await ctx.db.insert("probe_rows", { i: -1, pad: "marker" });
    const start = performance.now();
    let next = start + readEveryMs;
    let loops = 0;
    while (performance.now() - start < ms) {
      loops += 1;
      if (readEveryMs > 0 && performance.now() >= next) {
        await ctx.db.query("probe_rows").first();
        next += readEveryMs;
      }
    }
    return loops;
  },
});

/** Write a marker, then return `bytes` of text: the 16 MiB return value limit. */
export const bigReturn = internalMutation({
  args: { bytes: v.number() },
  returns: v.string(),
  handler: async (ctx, { bytes }) => {
    await ctx.db.insert("probe_rows", { i: -1, pad: "marker" });
    return pad(bytes);
  },
});

/** Insert any document: the per-document limits through a real mutation; returns the rows now stored. */
export const insertDocument = internalMutation({
  args: { doc: v.any() },
  returns: v.null(),
  handler: async (ctx, { doc }) => {
    await ctx.db.insert("probe_rows", doc);
    return null;
  },
});

/** One page of the rows stored (the tests count the table a page at a time, under the read limits). */
export const countPage = internalQuery({
  args: { cursor: v.union(v.string(), v.null()) },
  returns: v.object({ n: v.number(), cursor: v.string(), done: v.boolean() }),
  handler: async (ctx, { cursor }) => {
    const page = await ctx.db.query("probe_rows").paginate({ cursor, numItems: 8000, maximumBytesRead: 8 * 1024 * 1024 });
    return { n: page.page.length, cursor: page.continueCursor, done: page.isDone };
  },
});
