/**
 * Deletion jobs: durable, in bounded batches, reporting per-table counts. Phases:
 *   scheduled → running → completed | failed;  scheduled | running → cancelled (cancel before it finishes).
 * A job waits out its grace period (default 10 min, 1 s – 7 days), then each scheduled step deletes up to
 * `batchSize` rows of the current plan range and reschedules itself; a lease fences off stale steps, and running a
 * finished job again does nothing. When it starts, the target conversation is marked `deleting` (late writes get
 * E_CONVERSATION_DELETING) and its live sync jobs are cancelled, so nothing reappears after deletion.
 */
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { coded, fail } from "./errors.js";
import { plan, type Range, type Target } from "./deletionPlan.js";
import { checkActor } from "./scope.js";
import { LIVE, moveJob } from "./syncJobState.js";
import { scheduleWatched, STEP_WATCHDOG_MS, stepFate, vStepId, watchAgain } from "./watchdog.js";
import { vDeletionPhase, vDeletionTarget } from "./tables/deletion.js";

export const DEFAULT_GRACE_MS = 10 * 60 * 1000;
export const MIN_GRACE_MS = 1000;
export const MAX_GRACE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_BATCH = 500;
export const MAX_BATCH = 2000;
const PURGE_STATUS_RETENTION_MS = 60 * 60 * 1000; // a finished purge keeps its status row this long, then goes too
// Bytes of rows one step may read: rows are up to 1 MiB (chunk payloads 512 KiB), and a transaction reads 16 MiB.
export const STEP_MAX_BYTES = 8 * 1024 * 1024;
const MAX_ATTEMPTS = 5;
const BACKOFF_MS = [1000, 5000, 15000, 60000];

export const vDeletionJob = v.object({
  jobId: v.string(),
  target: vDeletionTarget,
  phase: vDeletionPhase,
  runAt: v.number(),
  counts: v.record(v.string(), v.number()),
  deleted: v.number(),
  createdAt: v.number(),
  updatedAt: v.number(),
  finishedAt: v.union(v.number(), v.null()),
  error: v.union(v.object({ code: v.string(), message: v.string() }), v.null()),
});

export function toDeletionJob(j: Doc<"deletion_jobs">) {
  return {
    jobId: j._id as string, target: j.target, phase: j.phase, runAt: j.runAt, counts: j.counts,
    deleted: Object.values(j.counts).reduce((a, b) => a + b, 0), createdAt: j.createdAt, updatedAt: j.updatedAt,
    finishedAt: j.finishedAt ?? null, error: j.error ?? null,
  };
}

async function conversationOf(ctx: QueryCtx, actor: string, threadId: string) {
  return await ctx.db.query("conversations").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", threadId)).first();
}

export async function scheduleDeletion(ctx: MutationCtx, actor: string, target: Target, delayMs: number, batchSize?: number) {
  checkActor(actor);
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_GRACE_MS) {
    fail("E_DELETION_BAD_DELAY", `the grace period must be between 0 and ${MAX_GRACE_MS} ms`, { delayMs });
  }
  const batch = batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) fail("E_DELETION_BAD_BATCH", `batchSize must be 1-${MAX_BATCH}`);
  if (target.kind !== "actor") {
    const thread = await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", target.threadId)).unique();
    const conv = await conversationOf(ctx, actor, target.threadId);
    if (thread === null && conv === null) fail("E_THREAD_NOT_FOUND", "no such thread", { threadId: target.threadId });
    if (target.kind === "turn") {
      const turn = await ctx.db.query("turns").withIndex("actor_threadId_turnId", (q) => q.eq("actor", actor).eq("threadId", target.threadId).eq("turnId", target.turnId)).unique();
      if (turn === null) fail("E_TURN_NOT_FOUND", "no such turn", { turnId: target.turnId });
    }
  }
  const now = Date.now();
  const runAt = now + delayMs;
  const id = await ctx.db.insert("deletion_jobs", {
    actor, target, phase: "scheduled", runAt, lease: 1, step: 0, counts: {}, batchSize: batch, createdAt: now, updatedAt: now,
  });
  await scheduleStep(ctx, id, 1, runAt);
  return (await ctx.db.get(id))!;
}

export async function loadDeletionJob(ctx: QueryCtx, actor: string, jobId: string): Promise<Doc<"deletion_jobs">> {
  checkActor(actor);
  const id = ctx.db.normalizeId("deletion_jobs", jobId);
  const job = id === null ? null : await ctx.db.get(id);
  if (job === null || job.actor !== actor) fail("E_DELETION_NOT_FOUND", "no such deletion job", { jobId });
  return job;
}

export async function cancelDeletion(ctx: MutationCtx, job: Doc<"deletion_jobs">) {
  if (job.phase !== "scheduled") fail("E_DELETION_NOT_CANCELLABLE", `the deletion is ${job.phase}: only a scheduled one can be cancelled`, { phase: job.phase });
  await ctx.db.patch(job._id, { phase: "cancelled", lease: job.lease + 1, updatedAt: Date.now(), finishedAt: Date.now() });
}

export async function forceRun(ctx: MutationCtx, job: Doc<"deletion_jobs">) {
  if (job.phase !== "scheduled") fail("E_DELETION_NOT_SCHEDULED", `the deletion is ${job.phase}`, { phase: job.phase });
  const now = Date.now();
  await ctx.db.patch(job._id, { runAt: now, lease: job.lease + 1, updatedAt: now });
  await scheduleStep(ctx, job._id, job.lease + 1, now);
}

/** Mark the target's conversation `deleting` and stop its imports: nothing may write into it any more. */
async function freeze(ctx: MutationCtx, job: Doc<"deletion_jobs">) {
  const convs: Doc<"conversations">[] = [];
  if (job.target.kind === "thread") {
    const c = await conversationOf(ctx, job.actor, job.target.threadId);
    if (c !== null) convs.push(c);
  }
  for (const c of convs) {
    await ctx.db.patch(c._id, { status: "deleting", updatedAt: Date.now() });
    for (const state of LIVE) {
      const live = await ctx.db.query("sync_jobs").withIndex("actor_state_createdAt", (q) => q.eq("actor", job.actor).eq("state", state)).take(64);
      for (const sj of live) {
        if (sj.conversationId === c._id) {
          await moveJob(ctx, sj, "cancelled", { lease: sj.lease + 1, lastError: coded("E_SYNC_JOB_CANCELLED_DELETED", "the conversation is being deleted") });
        }
      }
    }
  }
}

/**
 * Up to `count` rows of a query, stopping early once they add up to `bytes`. A deleted row is read twice (by the
 * query, then by the delete), so each counts double its JSON size.
 */
async function takeBounded<T>(query: AsyncIterable<T>, count: number, budget: { bytes: number }): Promise<T[]> {
  const out: T[] = [];
  if (count <= 0 || budget.bytes <= 0) return out;
  for await (const row of query) {
    out.push(row);
    budget.bytes -= 2 * JSON.stringify(row).length;
    if (out.length >= count || budget.bytes <= 0) break;
  }
  return out;
}

async function deleteRange(ctx: MutationCtx, job: Doc<"deletion_jobs">, range: Range, budget: number, bytes: { bytes: number }): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const bump = (t: string, n: number) => { if (n) counts[t] = (counts[t] ?? 0) + n; };
  if ("table" in range) {
    const rows: any[] = await takeBounded((ctx.db.query(range.table as any) as any)
      .withIndex(range.index, (q: any) => range.eq.reduce((acc: any, [f, val]) => acc.eq(f, val), q.eq("actor", job.actor))), budget, bytes);
    for (const r of rows) {
      if (range.table === "deletion_jobs" && r._id === job._id) continue;
      await ctx.db.delete(r._id);
    }
    bump(range.table, rows.filter((r: { _id: Id<any> }) => r._id !== job._id).length);
    return counts;
  }
  if (range.special === "conversation") {
    if (job.target.kind !== "thread") return counts;
    const c = await conversationOf(ctx, job.actor, job.target.threadId);
    if (c !== null) {
      await ctx.db.delete(c._id);
      bump("conversations", 1);
    }
    return counts;
  }
  // sync_sources of the thread: chunks and payloads first, then the source's jobs, then the source
  if (job.target.kind !== "thread") return counts;
  const threadId = job.target.threadId;
  const source = await ctx.db.query("sync_sources").withIndex("actor_threadId", (q) => q.eq("actor", job.actor).eq("threadId", threadId)).first();
  if (source === null) return counts;
  const byIndex = (table: "sync_chunk_payloads" | "sync_chunks") => takeBounded<Doc<typeof table>>(ctx.db.query(table).withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", job.actor).eq("sourceId", source._id)), budget, bytes);
  const payloads = await byIndex("sync_chunk_payloads");
  for (const p of payloads) await ctx.db.delete(p._id);
  bump("sync_chunk_payloads", payloads.length);
  const metas = payloads.length === 0 ? await byIndex("sync_chunks") : [];
  for (const m of metas) await ctx.db.delete(m._id);
  bump("sync_chunks", metas.length);
  if (payloads.length === 0 && metas.length === 0) {
    const jobs = await ctx.db.query("sync_jobs").withIndex("actor_sourceId", (q) => q.eq("actor", job.actor).eq("sourceId", source._id)).take(budget);
    for (const j of jobs) await ctx.db.delete(j._id);
    bump("sync_jobs", jobs.length);
    if (jobs.length < budget) {
      await ctx.db.delete(source._id);
      bump("sync_sources", 1);
    }
  }
  return counts;
}

/** One step: delete a batch in a sub-transaction; a failure is retried with backoff, then fails the job (never
 * left "running" forever). */
export const runStep = internalMutation({
  args: { jobId: v.id("deletion_jobs"), lease: v.number() },
  returns: v.null(),
  handler: async (ctx, { jobId, lease }) => {
    const job = await ctx.db.get(jobId);
    if (job === null || job.lease !== lease) return null; // fenced off
    if (job.phase === "completed" && job.target.kind === "actor") {
      await ctx.db.delete(job._id); // the purge's status retention ended: its own row goes too
      return null;
    }
    if (job.phase !== "scheduled" && job.phase !== "running") return null; // finished: running again does nothing
    try {
      await ctx.runMutation(internal.deletion.deleteBatch, { jobId });
    } catch (e) {
      await retryOrFail(ctx, job, e instanceof Error ? e.message : String(e));
    }
    return null;
  },
});

/** A failed step: retried with backoff under a new lease, or, after MAX_ATTEMPTS, the job fails. */
async function retryOrFail(ctx: MutationCtx, job: Doc<"deletion_jobs">, message: string, patch: Partial<Doc<"deletion_jobs">> = {}) {
  const attempts = (job.attempts ?? 0) + 1;
  const now = Date.now();
  if (attempts >= MAX_ATTEMPTS) {
    await ctx.db.patch(job._id, { ...patch, phase: "failed", attempts, lease: job.lease + 1, updatedAt: now, finishedAt: now, error: coded("E_DELETION_STEP_FAILED", message) });
    return;
  }
  await ctx.db.patch(job._id, { ...patch, attempts, lease: job.lease + 1, updatedAt: now, error: coded("E_DELETION_STEP_RETRY", message) });
  await scheduleStep(ctx, job._id, job.lease + 1, now + BACKOFF_MS[attempts - 1]);
}

async function scheduleStep(ctx: MutationCtx, jobId: Id<"deletion_jobs">, lease: number, at: number) {
  await scheduleWatched(ctx, internal.deletion.runStep, internal.deletion.watchStep, { jobId, lease }, at);
}

/**
 * Step `lease`'s watchdog: when the lease has not moved and the step is not merely late, the step failed as a whole (its transaction rolled back,
 * e.g. by a Convex limit), so nothing recorded it or scheduled a retry. Retry it as a failed attempt with half the
 * batch (a step that broke a limit once would break it again at the same size).
 */
export const watchStep = internalMutation({
  args: { jobId: v.id("deletion_jobs"), lease: v.number(), stepId: vStepId },
  returns: v.null(),
  handler: async (ctx, { jobId, lease, stepId }) => {
    const job = await ctx.db.get(jobId);
    if (job === null || job.lease !== lease || (job.phase !== "scheduled" && job.phase !== "running")) return null;
    if ((await stepFate(ctx, stepId)) === "late") {
      await watchAgain(ctx, internal.deletion.watchStep, { jobId, lease, stepId });
      return null;
    }
    const batchSize = Math.max(1, Math.floor(job.batchSize / 2));
    await retryOrFail(ctx, job, `step ${lease} did not finish within ${STEP_WATCHDOG_MS / 1000} s (rolled back as a whole, e.g. by a Convex limit); retrying with batches of ${batchSize}`, { batchSize });
    return null;
  },
});

/** The work of a step (a sub-transaction of runStep): freeze on the first step, then delete up to the budget. */
export const deleteBatch = internalMutation({
  args: { jobId: v.id("deletion_jobs") },
  returns: v.null(),
  handler: async (ctx, { jobId }) => {
    const job = (await ctx.db.get(jobId))!;
    if (job.phase === "scheduled") await freeze(ctx, job);
    const conv = job.target.kind === "thread" ? await conversationOf(ctx, job.actor, job.target.threadId) : null;
    const ranges = plan(job.target, conv);
    let step = job.step;
    const counts = { ...job.counts };
    let budget = job.batchSize;
    const bytes = { bytes: STEP_MAX_BYTES };
    while (step < ranges.length && budget > 0 && bytes.bytes > 0) {
      const got = await deleteRange(ctx, job, ranges[step], budget, bytes);
      const n = Object.values(got).reduce((a, b) => a + b, 0);
      for (const [t, c] of Object.entries(got)) counts[t] = (counts[t] ?? 0) + c;
      budget -= n;
      if (n === 0) step += 1; // this range is empty: move on
    }
    const now = Date.now();
    const done = step >= ranges.length;
    await ctx.db.patch(job._id, {
      phase: done ? "completed" : "running", step, counts, lease: job.lease + 1, attempts: 0, error: undefined,
      updatedAt: now, ...(done ? { finishedAt: now } : {}),
    });
    if (!done) await scheduleStep(ctx, jobId, job.lease + 1, now);
    else if (job.target.kind === "actor") await ctx.scheduler.runAfter(PURGE_STATUS_RETENTION_MS, internal.deletion.runStep, { jobId, lease: job.lease + 1 });
    return null;
  },
});
