/**
 * Deletion jobs: a kind of durable job (jobEngine.ts), in bounded batches, reporting per-table counts. Phases are
 * the engine's states under deletion names: scheduled (queued) → running ⇄ retry_wait → completed (succeeded) |
 * failed; a scheduled one can be cancelled. A job waits out its grace period (default 10 min, 1 s – 7 days), then
 * each step deletes up to `batchSize` rows of the current plan range and schedules the next; a lease fences off
 * stale steps, and running a finished job again does nothing. When it starts, the target conversation is marked
 * `deleting` (late writes get E_CONVERSATION_DELETING) and its live sync jobs are cancelled, so nothing reappears.
 */
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { plan, SUB_AGENTS, type Range, type Target } from "./deletionPlan.js";
import { markerOf, REPLACE_WAIT_MS } from "./replace.js";
import { checkActor } from "./scope.js";
import * as engine from "./jobEngine.js";
import { cancelLiveJobs } from "./syncJobState.js";
import { vStepId } from "./watchdog.js";
import { vDeletionPhase, vDeletionTarget } from "./tables/deletion.js";
import { vCodedError } from "./tables/sync.js";
import { jsonBytes } from "./text.js";

export const DEFAULT_GRACE_MS = 10 * 60 * 1000;
export const MIN_GRACE_MS = 1000;
export const MAX_GRACE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_BATCH = 500;
export const MAX_BATCH = 2000;
const PURGE_STATUS_RETENTION_MS = 60 * 60 * 1000; // a finished purge keeps its status row this long, then goes too
// Bytes of rows one step may read: rows are up to 1 MiB (chunk payloads 512 KiB), and a transaction reads 16 MiB.
export const STEP_MAX_BYTES = 8 * 1024 * 1024;
// Sub-agents' deletions one step may start: each schedules two functions (its step and the step's watchdog), and a
// Convex transaction may schedule 1,000: this stays within a quarter of it.
export const AGENT_DELETIONS_PER_STEP = 100;

const PHASE_OF: Record<engine.State, Doc<"deletion_jobs">["phase"]> = {
  queued: "scheduled", running: "running", retry_wait: "retry_wait", succeeded: "completed", failed: "failed",
  cancelled: "cancelled",
};
const STATE_OF = Object.fromEntries(Object.entries(PHASE_OF).map(([s, p]) => [p, s])) as Record<string, engine.State>;

export const deletionKind: engine.JobKind<"deletion_jobs"> = {
  table: "deletion_jobs",
  stateOf: (job) => STATE_OF[job.phase],
  store: (_job, to) => ({ phase: PHASE_OF[to] }),
  errorField: "error",
  step: internal.deletion.runStep,
  watch: internal.deletion.watchStep,
  codes: { retry: "E_DELETION_STEP_RETRY", exhausted: "E_DELETION_STEP_FAILED" },
  smaller: (job) => {
    const batchSize = Math.max(1, Math.floor(job.batchSize / 2));
    return { patch: { batchSize }, what: `batches of ${batchSize}` };
  },
};

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
  error: v.union(vCodedError, v.null()),
});

export function toDeletionJob(j: Doc<"deletion_jobs">) {
  return {
    jobId: j._id as string, target: j.target, phase: j.phase, runAt: j.runAt, counts: j.counts,
    deleted: Object.entries(j.counts).reduce((a, [k, n]) => (k === SUB_AGENTS ? a : a + n), 0), createdAt: j.createdAt, updatedAt: j.updatedAt,
    finishedAt: j.finishedAt ?? null, error: j.error ?? null,
  };
}

async function conversationOf(ctx: QueryCtx, actor: string, threadId: string) {
  return await ctx.db.query("conversations").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", threadId)).first();
}

/** :throws E_THREAD_NOT_FOUND / E_TURN_NOT_FOUND: a deletion (or its preview) names a thread or turn that is not there. */
export async function requireTarget(ctx: QueryCtx, actor: string, target: Target) {
  if (target.kind === "actor") return;
  const thread = await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", target.threadId)).unique();
  const conv = await conversationOf(ctx, actor, target.threadId);
  if (thread === null && conv === null) fail("E_THREAD_NOT_FOUND", "no such thread", { threadId: target.threadId });
  if (target.kind === "turn") {
    const turn = await ctx.db.query("turns").withIndex("actor_threadId_turnId", (q) => q.eq("actor", actor).eq("threadId", target.threadId).eq("turnId", target.turnId)).first();
    if (turn === null) fail("E_TURN_NOT_FOUND", "no such turn", { turnId: target.turnId });
    if (thread?.replace !== undefined) fail("E_SYNC_REPLACING", "a sync job is replacing this thread's turns: delete the turn once it finished", { jobId: thread.replace.jobId });
  }
}

export async function scheduleDeletion(ctx: MutationCtx, actor: string, target: Target, delayMs: number, batchSize?: number) {
  checkActor(actor);
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_GRACE_MS) {
    fail("E_DELETION_BAD_DELAY", `the grace period must be between 0 and ${MAX_GRACE_MS} ms`, { delayMs });
  }
  const batch = batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) fail("E_DELETION_BAD_BATCH", `batchSize must be 1-${MAX_BATCH}`);
  await requireTarget(ctx, actor, target);
  const now = Date.now();
  const runAt = now + delayMs;
  const id = await ctx.db.insert("deletion_jobs", {
    actor, target, phase: "scheduled", runAt, lease: 1, step: 0, counts: {}, batchSize: batch, createdAt: now, updatedAt: now,
  });
  await engine.scheduleStep(ctx, deletionKind, id, 1, runAt);
  return (await ctx.db.get("deletion_jobs", id))!;
}

export async function loadDeletionJob(ctx: QueryCtx, actor: string, jobId: string): Promise<Doc<"deletion_jobs">> {
  checkActor(actor);
  const id = ctx.db.normalizeId("deletion_jobs", jobId);
  const job = id === null ? null : await ctx.db.get("deletion_jobs", id);
  if (job === null || job.actor !== actor) fail("E_DELETION_NOT_FOUND", "no such deletion job", { jobId });
  return job;
}

export async function cancelDeletion(ctx: MutationCtx, job: Doc<"deletion_jobs">) {
  if (job.phase !== "scheduled") fail("E_DELETION_NOT_CANCELLABLE", `the deletion is ${job.phase}: only a scheduled one can be cancelled`, { phase: job.phase });
  await engine.cancel(ctx, deletionKind, job, "E_DELETION_CANCELLED", "cancelled by the owner in its grace period");
}

export async function forceRun(ctx: MutationCtx, job: Doc<"deletion_jobs">) {
  if (job.phase !== "scheduled") fail("E_DELETION_NOT_SCHEDULED", `the deletion is ${job.phase}`, { phase: job.phase });
  const now = Date.now();
  await engine.reschedule(ctx, deletionKind, job, now, { runAt: now });
}

/** Mark the target's conversation `deleting` and stop its imports: nothing may write into it any more. */
async function freeze(ctx: MutationCtx, job: Doc<"deletion_jobs">) {
  const convs: Doc<"conversations">[] = [];
  if (job.target.kind === "thread") {
    const c = await conversationOf(ctx, job.actor, job.target.threadId);
    if (c !== null) convs.push(c);
  }
  for (const c of convs) {
    await ctx.db.patch("conversations", c._id, { status: "deleting", updatedAt: Date.now() });
    await cancelLiveJobs(ctx, c, "E_SYNC_JOB_CANCELLED_DELETED", "the conversation is being deleted");
  }
}

/**
 * Up to `count` rows of a query, stopping early once they add up to `bytes`. A deleted row is read twice (by the
 * query, then by the delete), so each counts double its JSON size (in UTF-8 bytes, as Convex counts).
 */
export async function takeBounded<T>(query: AsyncIterable<T>, count: number, budget: { bytes: number }): Promise<T[]> {
  const out: T[] = [];
  if (count <= 0 || budget.bytes <= 0) return out;
  for await (const row of query) {
    out.push(row);
    budget.bytes -= 2 * jsonBytes(row);
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
      await ctx.db.delete(range.table, r._id);
    }
    bump(range.table, rows.filter((r: { _id: Id<any> }) => r._id !== job._id).length);
    return counts;
  }
  if (range.special === "agents") return await startAgentDeletions(ctx, job, budget, bytes);
  if (range.special === "conversation") {
    if (job.target.kind !== "thread") return counts;
    const c = await conversationOf(ctx, job.actor, job.target.threadId);
    if (c !== null) {
      await ctx.db.delete("conversations", c._id);
      bump("conversations", 1);
    }
    return counts;
  }
  // sync_sources of the thread: chunks and payloads first, then the source's jobs, then the source
  if (job.target.kind !== "thread") return counts;
  const threadId = job.target.threadId;
  const source = await ctx.db.query("sync_sources").withIndex("actor_threadId", (q) => q.eq("actor", job.actor).eq("threadId", threadId)).first();
  if (source === null) return counts;
  const payloads = await takeBounded(ctx.db.query("sync_chunk_payloads").withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", job.actor).eq("sourceId", source._id)), budget, bytes);
  for (const p of payloads) await ctx.db.delete("sync_chunk_payloads", p._id);
  bump("sync_chunk_payloads", payloads.length);
  const metas = payloads.length === 0 ? await takeBounded(ctx.db.query("sync_chunks").withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", job.actor).eq("sourceId", source._id)), budget, bytes) : [];
  for (const m of metas) await ctx.db.delete("sync_chunks", m._id);
  bump("sync_chunks", metas.length);
  if (payloads.length === 0 && metas.length === 0) {
    const jobs = await ctx.db.query("sync_jobs").withIndex("actor_sourceId", (q) => q.eq("actor", job.actor).eq("sourceId", source._id)).take(budget);
    for (const j of jobs) await ctx.db.delete("sync_jobs", j._id);
    bump("sync_jobs", jobs.length);
    if (jobs.length < budget) {
      await ctx.db.delete("sync_sources", source._id);
      bump("sync_sources", 1);
    }
  }
  return counts;
}

/**
 * A thread deletion's sub-agents: the conversations its thread spawned (Codex's sub-agents, runtime/agents.py) are
 * its work, so each is deleted too — by a deletion job of its own, due now (the parent's grace period was the time
 * to cancel), which in turn reaches its own sub-agents. Each is unlinked as its job is scheduled, so the range
 * shrinks to nothing however many there are and a step run twice schedules none twice. One already being deleted
 * is only unlinked (and counted: its own job deletes it). Forks are left alone: a user made them to keep.
 */
async function startAgentDeletions(ctx: MutationCtx, job: Doc<"deletion_jobs">, budget: number, bytes: { bytes: number }): Promise<Record<string, number>> {
  if (job.target.kind !== "thread") return {};
  const conv = await conversationOf(ctx, job.actor, job.target.threadId);
  if (conv === null) return {};
  const children = await takeBounded(ctx.db.query("conversations")
    .withIndex("actor_parentConversationId", (q) => q.eq("actor", job.actor).eq("parentConversationId", conv._id)), Math.min(budget, AGENT_DELETIONS_PER_STEP), bytes);
  for (const child of children) {
    await ctx.db.patch("conversations", child._id, { parentConversationId: undefined, updatedAt: Date.now() });
    if (child.threadId !== undefined && child.status !== "deleting") {
      await scheduleDeletion(ctx, job.actor, { kind: "thread", threadId: child.threadId }, 0, job.batchSize);
    }
  }
  return children.length === 0 ? {} : { [SUB_AGENTS]: children.length };
}

/** One step: delete a batch in a sub-transaction; a failure is retried, then fails the job (jobEngine.stepFailed). */
export const runStep = internalMutation({
  args: { jobId: v.id("deletion_jobs"), lease: v.number() },
  returns: v.null(),
  handler: async (ctx, { jobId, lease }) => {
    const job = await ctx.db.get("deletion_jobs", jobId);
    if (job !== null && job.lease === lease && job.phase === "completed" && job.target.kind === "actor") {
      await ctx.db.delete("deletion_jobs", job._id); // the purge's status retention ended: its own row goes too
      return null;
    }
    if (engine.fencedOff(deletionKind, job, lease)) return null; // finished: running again does nothing
    try {
      await ctx.runMutation(internal.deletion.deleteBatch, { jobId });
    } catch (e) {
      await engine.stepFailed(ctx, deletionKind, job, e);
    }
    return null;
  },
});

/** Step `lease`'s watchdog (jobEngine.watch): a lost step is retried with half the batch. */
export const watchStep = internalMutation({
  args: { jobId: v.id("deletion_jobs"), lease: v.number(), stepId: vStepId },
  returns: v.null(),
  handler: async (ctx, args) => await engine.watch(ctx, deletionKind, args),
});

/** The work of a step (a sub-transaction of runStep): freeze on the first step, then delete up to the budget. */
export const deleteBatch = internalMutation({
  args: { jobId: v.id("deletion_jobs") },
  returns: v.null(),
  handler: async (ctx, { jobId }) => {
    const job = (await ctx.db.get("deletion_jobs", jobId))!;
    if (job.target.kind === "turn" && (await markerOf(ctx, job.actor, job.target.threadId)) !== null) {
      // a sync job is replacing the thread's turns (replace.ts): the turn's rows are its until it finished
      await engine.reschedule(ctx, deletionKind, job, Date.now() + REPLACE_WAIT_MS);
      return null;
    }
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
      else if (SUB_AGENTS in got) break; // sub-agents' deletions: at most AGENT_DELETIONS_PER_STEP a step
    }
    const now = Date.now();
    const done = step >= ranges.length;
    const next = { step, counts, lease: job.lease + 1, attempts: 0, retryAt: undefined, error: undefined };
    if (!(await engine.move(ctx, deletionKind, job, done ? "succeeded" : "running", next))) {
      throw new Error(`deletion ${jobId}: no arrow from ${job.phase} after a step`);
    }
    if (!done) await engine.scheduleStep(ctx, deletionKind, jobId, job.lease + 1, now);
    else if (job.target.kind === "actor") await ctx.scheduler.runAfter(PURGE_STATUS_RETENTION_MS, internal.deletion.runStep, { jobId, lease: job.lease + 1 });
    return null;
  },
});
