/** Thread-level data lifecycle (upstream's `threads.*` names): cascade delete, purge of an actor, job control. */
import { v } from "convex/values";
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

/** What a deletion would remove (rows per table, each count capped at 1,000: `truncated` says so). Reads only. */
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
    const add = (table: string, n: number) => { counts[table] = (counts[table] ?? 0) + n; if (n > PREVIEW_LIMIT) truncated = true; };
    for (const r of plan(target, conv)) {
      if ("table" in r) {
        const rows = await (ctx.db.query(r.table as any) as any)
          .withIndex(r.index, (q: any) => r.eq.reduce((acc: any, [f, val]) => acc.eq(f, val), q.eq("actor", actor)))
          .take(PREVIEW_LIMIT + 1);
        add(r.table, Math.min(rows.length, PREVIEW_LIMIT));
        if (rows.length > PREVIEW_LIMIT) truncated = true;
      } else if (r.special === "conversation") {
        if (conv !== null) add("conversations", 1);
      } else if (target.kind === "thread") {
        const sources = await ctx.db.query("sync_sources").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", target.threadId)).take(100);
        add("sync_sources", sources.length);
        for (const s of sources) {
          const chunks = await ctx.db.query("sync_chunks").withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", actor).eq("sourceId", s._id)).take(PREVIEW_LIMIT + 1);
          add("sync_chunks", chunks.length);
          add("sync_chunk_payloads", chunks.length);
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
