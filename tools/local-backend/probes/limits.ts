/**
 * Admin-only probes that push a function into each of Convex's limits, for the local backend's limit tests
 * (tests/backend/test_limits.py). Bundled into the app as `_probes/limits`; internal, so only a caller holding the
 * admin key reaches them. They write into the app's own `probe_rows` table, never into the component.
 */
import { internalActionGeneric as internalAction, internalMutationGeneric as internalMutation, internalQueryGeneric as internalQuery, makeFunctionReference } from "convex/server";
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

/**
 * One page of `probe_rows` over `by_creation_time` (`scan`: a full table scan instead; optionally between the rows numbered `fromI` and `toI`, only
 * rows of one `group`): tests/backend/test_index_pages.py walks them and compares them with a model of the table.
 */
export const page = internalQuery({
  args: {
    cursor: v.union(v.string(), v.null()),
    endCursor: v.optional(v.union(v.string(), v.null())),
    numItems: v.number(),
    order: v.union(v.literal("asc"), v.literal("desc")),
    fromI: v.optional(v.number()),
    toI: v.optional(v.number()),
    group: v.optional(v.number()),
    maximumRowsRead: v.optional(v.number()),
    scan: v.optional(v.boolean()),
  },
  returns: v.object({ is: v.array(v.number()), isDone: v.boolean(), continueCursor: v.string(), pageStatus: v.union(v.string(), v.null()) }),
  handler: async (ctx, a) => {
    const at = async (i: number | undefined) =>
      i === undefined ? undefined : (await ctx.db.query("probe_rows").filter((q) => q.eq(q.field("i"), i)).first())?._creationTime;
    const lo = await at(a.fromI);
    const hi = await at(a.toI);
    let q = a.scan ? ctx.db.query("probe_rows") : ctx.db.query("probe_rows").withIndex("by_creation_time", (r) =>
      lo !== undefined && hi !== undefined ? r.gte("_creationTime", lo).lt("_creationTime", hi)
        : lo !== undefined ? r.gte("_creationTime", lo) : hi !== undefined ? r.lt("_creationTime", hi) : r);
    if (a.group !== undefined) q = q.filter((f) => f.eq(f.field("group"), a.group));
    const p = await q.order(a.order).paginate({ cursor: a.cursor, endCursor: a.endCursor, numItems: a.numItems, maximumRowsRead: a.maximumRowsRead });
    return { is: p.page.map((d) => d.i as number), isDone: p.isDone, continueCursor: p.continueCursor, pageStatus: p.pageStatus ?? null };
  },
});

/** Insert rows numbered `from`…`from + n - 1`, each in group `i % 3`. */
export const insertNumbered = internalMutation({
  args: { from: v.number(), n: v.number() },
  returns: v.null(),
  handler: async (ctx, { from, n }) => {
    for (let i = from; i < from + n; i++) await ctx.db.insert("probe_rows", { i, group: i % 3, pad: "" });
    return null;
  },
});

/**
 * A chain of scheduled mutations, each spending `ms` of user code: every link has its own 1 s budget, although
 * each is scheduled from inside the previous one.
 */
export const chain = internalMutation({
  args: { left: v.number(), ms: v.number() },
  returns: v.null(),
  handler: async (ctx, { left, ms }) => {
    await ctx.db.insert("probe_rows", { i: -2, pad: "chain" });
    const start = performance.now();
    while (performance.now() - start < ms) {
      // user code
    }
    if (left > 1) await ctx.scheduler.runAfter(0, makeFunctionReference<"mutation">("_probes/limits:chain"), { left: left - 1, ms });
    return null;
  },
});

/** An action that waits `ms` (the concurrent-actions limit test keeps many of them running at once). */
export const sleep = internalAction({
  args: { ms: v.number() },
  returns: v.null(),
  handler: async (_ctx, { ms }) => {
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 60_000)));
    return null;
  },
});
