/** Thread-level data lifecycle (upstream's `threads.*` names): cascade delete, purge of an actor, job control. */
import { v } from "convex/values";
import type { Id } from "./_generated/dataModel.js";
import { mutation, query } from "./_generated/server.js";
import { cancelDeletion, forceRun, loadDeletionJob, requireTarget, scheduleDeletion, toDeletionJob, vDeletionJob } from "./deletion.js";
import { plan, SUB_AGENTS, type Target } from "./deletionPlan.js";
import { fail } from "./errors.js";
import { checkActor } from "./scope.js";
import { paginated, vActor, vPaginationOpts, pageSize } from "./validators.js";
import { paginator } from "convex-helpers/server/pagination";
import schema from "./schema.js";
import { jsonBytes } from "./text.js";

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
    return toDeletionJob((await ctx.db.get("deletion_jobs", job._id))!);
  },
});

export const forceRunScheduledDeletion = mutation({
  args: { actor: vActor, jobId: v.string() },
  returns: vDeletionJob,
  handler: async (ctx, { actor, jobId }) => {
    const job = await loadDeletionJob(ctx, actor, jobId);
    await forceRun(ctx, job);
    return toDeletionJob((await ctx.db.get("deletion_jobs", job._id))!);
  },
});

/** A deletion job's status: subscribe to it for progress. `{found:false}` when missing or not the actor's. */
export const getDeletionJobStatus = query({
  args: { actor: vActor, jobId: v.string() },
  returns: v.union(v.object({ found: v.literal(false) }), v.object({ found: v.literal(true), job: vDeletionJob })),
  handler: async (ctx, { actor, jobId }) => {
    const id = ctx.db.normalizeId("deletion_jobs", jobId);
    const job = id === null ? null : await ctx.db.get("deletion_jobs", id);
    return job === null || job.actor !== actor ? { found: false as const } : { found: true as const, job: toDeletionJob(job) };
  },
});

const PREVIEW_LIMIT = 1000;
/** Bytes a preview may read in all: a quarter of Convex's 16 MiB read limit. */
const PREVIEW_BUDGET_BYTES = 4 * 1024 * 1024;
/**
 * Payload tables are never read by a preview: their rows are counted from the metadata rows that hold them (an
 * item's parts, a message's segments, a chunk's one payload).
 */
const COUNTED_FROM: Record<string, { table: string; rowsOf: (doc: any) => number }> = {
  item_parts: { table: "items", rowsOf: (d) => d.partCount ?? 0 },
  message_segments: { table: "messages", rowsOf: (d) => d.segmentCount ?? 0 },
  sync_chunk_payloads: { table: "sync_chunks", rowsOf: () => 1 },
};

/**
 * What a deletion would remove (rows per table, each count capped at 1,000; `truncated` says so; `sub_agents`: the
 * sub-agents' conversations a thread deletion deletes by jobs of their own, not counted further). Reads metadata
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
    await requireTarget(ctx, actor, target); // a dry run of an unknown thread fails as the deletion would
    const conv = target.kind === "thread"
      ? await ctx.db.query("conversations").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", target.threadId)).first()
      : null;
    const counts: Record<string, number> = {};
    let truncated = false;
    let budget = PREVIEW_BUDGET_BYTES;
    const add = (table: string, n: number) => { counts[table] = (counts[table] ?? 0) + n; };
    // Count up to PREVIEW_LIMIT rows of `table` (and the payload rows they hold), within the budget.
    const count = async (table: string, q: AsyncIterable<any>, each?: (doc: any) => void): Promise<void> => {
      const payloads = Object.entries(COUNTED_FROM).filter(([, by]) => by.table === table);
      let n = 0;
      for await (const doc of q) {
        if (n >= PREVIEW_LIMIT || budget <= 0) {
          truncated = true;
          break;
        }
        budget -= jsonBytes(doc); // bytes, as Convex counts them (a character may weigh 3)
        for (const [payload, by] of payloads) add(payload, by.rowsOf(doc));
        each?.(doc);
        n += 1;
      }
      add(table, n);
    };
    for (const r of plan(target, conv)) {
      if ("table" in r) {
        if (r.table in COUNTED_FROM) continue;
        await count(r.table, (ctx.db.query(r.table as any) as any).withIndex(r.index, (q: any) => r.eq.reduce((acc: any, [f, val]) => acc.eq(f, val), q.eq("actor", actor))));
      } else if (r.special === "conversation") {
        if (conv !== null) add("conversations", 1);
      } else if (r.special === "agents") {
        if (conv !== null) {
          await count(SUB_AGENTS, ctx.db.query("conversations").withIndex("actor_parentConversationId", (q) => q.eq("actor", actor).eq("parentConversationId", conv._id)));
        }
      } else if (target.kind === "thread") {
        const ids: Array<Id<"sync_sources">> = [];
        await count("sync_sources", ctx.db.query("sync_sources").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", target.threadId)), (s) => ids.push(s._id));
        for (const id of ids) {
          await count("sync_chunks", ctx.db.query("sync_chunks").withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", actor).eq("sourceId", id)));
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
