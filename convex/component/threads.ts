/** Thread-level data lifecycle (upstream's `threads.*` names): cascade delete, purge of an actor, job control. */
import { v } from "convex/values";
import type { Id } from "./_generated/dataModel.js";
import { mutation, query } from "./_generated/server.js";
import { cancelDeletion, forceRun, loadDeletionJob, scheduleDeletion, toDeletionJob, vDeletionJob } from "./deletion.js";
import { plan, type Target } from "./deletionPlan.js";
import { fail } from "./errors.js";
import { checkActor } from "./scope.js";
import { paginated, vActor, vPaginationOpts, pageSize } from "./validators.js";
import { paginator } from "convex-helpers/server/pagination";
import schema from "./schema.js";

const batch = { batchSize: v.optional(v.number()) };

export const deleteCascade = mutation({
  args: { actor: vActor, threadId: v.string(), ...batch },
  returns: vDeletionJob,
  handler: async (ctx, { actor, threadId, batchSize }) => toDeletionJob(await scheduleDeletion(ctx, actor, { kind: "thread", threadId }, 0, batchSize)),
});

export const scheduleDeleteCascade = mutation({
  args: { actor: vActor, threadId: v.string(), delayMs: v.optional(v.number()), ...batch },
  returns: vDeletionJob,
  handler: async (ctx, { actor, threadId, delayMs, batchSize }) => toDeletionJob(await scheduleDeletion(ctx, actor, { kind: "thread", threadId }, delayMs ?? 10 * 60 * 1000, batchSize)),
});

export const purgeActorData = mutation({
  args: { actor: vActor, ...batch },
  returns: vDeletionJob,
  handler: async (ctx, { actor, batchSize }) => toDeletionJob(await scheduleDeletion(ctx, actor, { kind: "actor" }, 0, batchSize)),
});

export const schedulePurgeActorData = mutation({
  args: { actor: vActor, delayMs: v.optional(v.number()), ...batch },
  returns: vDeletionJob,
  handler: async (ctx, { actor, delayMs, batchSize }) => toDeletionJob(await scheduleDeletion(ctx, actor, { kind: "actor" }, delayMs ?? 10 * 60 * 1000, batchSize)),
});

export const cancelScheduledDeletion = mutation({
  args: { actor: vActor, jobId: v.string() },
  returns: vDeletionJob,
  handler: async (ctx, { actor, jobId }) => {
    const job = await loadDeletionJob(ctx, actor, jobId);
    await cancelDeletion(ctx, job);
    return toDeletionJob((await ctx.db.get(job._id))!);
  },
});

export const forceRunScheduledDeletion = mutation({
  args: { actor: vActor, jobId: v.string() },
  returns: vDeletionJob,
  handler: async (ctx, { actor, jobId }) => {
    const job = await loadDeletionJob(ctx, actor, jobId);
    await forceRun(ctx, job);
    return toDeletionJob((await ctx.db.get(job._id))!);
  },
});

/** A deletion job's status: subscribe to it for progress. `{found:false}` when missing or not the actor's. */
export const getDeletionJobStatus = query({
  args: { actor: vActor, jobId: v.string() },
  returns: v.union(v.object({ found: v.literal(false) }), v.object({ found: v.literal(true), job: vDeletionJob })),
  handler: async (ctx, { actor, jobId }) => {
    const id = ctx.db.normalizeId("deletion_jobs", jobId);
    const job = id === null ? null : await ctx.db.get(id);
    return job === null || job.actor !== actor ? { found: false as const } : { found: true as const, job: toDeletionJob(job) };
  },
});

const PREVIEW_LIMIT = 1000;
/** Bytes a preview may read in all: a quarter of Convex's 16 MiB read limit. */
const PREVIEW_BUDGET_BYTES = 4 * 1024 * 1024;
/** Payload tables are never read by a preview: their rows are counted from the metadata row that holds them. */
const COUNTED_FROM: Record<string, { table: string; field: "partCount" | "segmentCount" }> = {
  item_parts: { table: "items", field: "partCount" },
  message_segments: { table: "messages", field: "segmentCount" },
};

/**
 * What a deletion would remove (rows per table, each count capped at 1,000; `truncated` says so). Reads metadata
 * rows only — item parts, message segments and chunk payloads are counted from their items, messages and chunk
 * rows — within a byte budget: the counts stop (truncated) rather than read more.
 */
export const previewDeletion = query({
  args: { actor: vActor, threadId: v.optional(v.string()), turnId: v.optional(v.string()) },
  returns: v.object({ counts: v.record(v.string(), v.number()), truncated: v.boolean() }),
  handler: async (ctx, { actor, threadId, turnId }) => {
    checkActor(actor);
    if (turnId !== undefined && threadId === undefined) fail("E_DELETION_BAD_TARGET", "a turn needs its threadId");
    const target: Target = threadId === undefined ? { kind: "actor" } : turnId === undefined ? { kind: "thread", threadId } : { kind: "turn", threadId, turnId };
    const conv = target.kind === "thread"
      ? await ctx.db.query("conversations").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", target.threadId)).first()
      : null;
    const counts: Record<string, number> = {};
    let truncated = false;
    let budget = PREVIEW_BUDGET_BYTES;
    const add = (table: string, n: number) => { counts[table] = (counts[table] ?? 0) + n; };
    // Count up to PREVIEW_LIMIT rows of a query, calling `each` on them, within the budget.
    const count = async (q: AsyncIterable<any>, each?: (doc: any) => void): Promise<number> => {
      let n = 0;
      for await (const doc of q) {
        if (n >= PREVIEW_LIMIT || budget <= 0) {
          truncated = true;
          break;
        }
        budget -= JSON.stringify(doc).length;
        each?.(doc);
        n += 1;
      }
      return n;
    };
    for (const r of plan(target, conv)) {
      if ("table" in r) {
        if (r.table in COUNTED_FROM || r.table === "sync_chunk_payloads") continue;
        const payload = Object.entries(COUNTED_FROM).find(([, by]) => by.table === r.table);
        const q = (ctx.db.query(r.table as any) as any).withIndex(r.index, (q: any) => r.eq.reduce((acc: any, [f, val]) => acc.eq(f, val), q.eq("actor", actor)));
        add(r.table, await count(q, payload ? (doc) => add(payload[0], doc[payload[1].field] ?? 0) : undefined));
        if (r.table === "sync_chunks") counts.sync_chunk_payloads = counts.sync_chunks;
      } else if (r.special === "conversation") {
        if (conv !== null) add("conversations", 1);
      } else if (target.kind === "thread") {
        const sources = ctx.db.query("sync_sources").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", target.threadId));
        const ids: Array<Id<"sync_sources">> = [];
        add("sync_sources", await count(sources, (s) => ids.push(s._id)));
        for (const id of ids) {
          const chunks = await count(ctx.db.query("sync_chunks").withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", actor).eq("sourceId", id)));
          add("sync_chunks", chunks);
          add("sync_chunk_payloads", chunks);
        }
      }
    }
    return { counts: Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)), truncated };
  },
});

/** The caller's deletion jobs, newest first, a page at a time. */
export const listDeletionJobs = query({
  args: { actor: vActor, paginationOpts: vPaginationOpts },
  returns: paginated(vDeletionJob),
  handler: async (ctx, { actor, paginationOpts }) => {
    checkActor(actor);
    const numItems = pageSize(paginationOpts);
    const page = await paginator(ctx.db, schema)
      .query("deletion_jobs")
      .withIndex("actor_createdAt", (q) => q.eq("actor", actor))
      .order("desc")
      .paginate({ cursor: paginationOpts.cursor, numItems });
    return { page: page.page.map(toDeletionJob), isDone: page.isDone, continueCursor: page.continueCursor };
  },
});
