/**
 * The sync job's state machine (drawn in README.md):
 *   queued → running ⇄ retry_wait → verifying → succeeded | failed | cancelled
 * Public state: syncing (queued, running, retry_wait, verifying) | synced | failed | cancelled.
 * Each transition checks the current state first; a terminal job never moves again.
 */
import { coded } from "./errors.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import type { MutationCtx } from "./_generated/server.js";
import { scheduleWatched } from "./watchdog.js";

export type JobState = Doc<"sync_jobs">["state"];
export const TERMINAL: ReadonlySet<JobState> = new Set(["succeeded", "failed", "cancelled"]);
export const LIVE: readonly JobState[] = ["queued", "running", "retry_wait", "verifying"];

export function publicState(s: JobState): "syncing" | "synced" | "failed" | "cancelled" {
  return s === "succeeded" ? "synced" : s === "failed" ? "failed" : s === "cancelled" ? "cancelled" : "syncing";
}

const ALLOWED: Record<JobState, ReadonlySet<JobState>> = {
  queued: new Set(["running", "verifying", "retry_wait", "cancelled", "failed"]), // a small job may ingest all in one step
  running: new Set(["running", "retry_wait", "verifying", "failed", "cancelled"]),
  retry_wait: new Set(["running", "verifying", "retry_wait", "failed", "cancelled"]),
  verifying: new Set(["verifying", "retry_wait", "succeeded", "failed", "cancelled"]),
  succeeded: new Set(),
  failed: new Set(),
  cancelled: new Set(),
};

export function canMove(from: JobState, to: JobState): boolean {
  return ALLOWED[from].has(to);
}

/** Schedule step `lease` of a job at `at`, and its watchdog (`syncJobs.watchStep`, see watchdog.ts). */
export async function scheduleStep(ctx: MutationCtx, jobId: Id<"sync_jobs">, lease: number, at: number): Promise<void> {
  await scheduleWatched(ctx, internal.syncJobs.runStep, internal.syncJobs.watchStep, { jobId, lease }, at);
}

/** Move a job; returns false (and writes nothing) when the transition is not allowed from its current state. */
export async function moveJob(ctx: MutationCtx, job: Doc<"sync_jobs">, to: JobState, patch: Partial<Doc<"sync_jobs">> = {}): Promise<boolean> {
  if (!canMove(job.state, to)) return false;
  const now = Date.now();
  await ctx.db.patch(job._id, { ...patch, state: to, updatedAt: now, ...(TERMINAL.has(to) ? { finishedAt: now } : {}) });
  return true;
}

/** Insert a queued job and schedule its first step. */
export async function startJob(ctx: MutationCtx, source: Doc<"sync_sources">, conv: Doc<"conversations">,
  totals: { chunks: number; records: number; bytes: number }, now: number): Promise<Id<"sync_jobs">> {
  const jobId = await ctx.db.insert("sync_jobs", {
    actor: source.actor, conversationId: conv._id, sourceId: source._id, state: "queued", lease: 1,
    totalChunks: totals.chunks, totalRecords: totals.records, totalBytes: totals.bytes,
    processedChunks: 0, processedOffset: 0, processedRecords: 0, verifiedChunks: 0, verifiedOffset: 0, verifiedRecords: 0,
    attempts: 0,
    maxStepBytesRead: 0, createdAt: now, updatedAt: now,
  });
  await ctx.db.patch(conv._id, { activeSyncJobId: jobId, syncState: "syncing", updatedAt: now });
  await scheduleStep(ctx, jobId, 1, now);
  return jobId;
}

/**
 * A newer import replaces older live jobs of the same conversation (E_SYNC_JOB_CANCELLED_REPLACED). Each start
 * cancels the live ones before it, so only the newest jobs of a conversation can be live: reading its 64 newest
 * is enough.
 */
export async function cancelLiveJobs(ctx: MutationCtx, conv: Doc<"conversations">): Promise<void> {
  const recent = await ctx.db
    .query("sync_jobs")
    .withIndex("actor_conversationId_createdAt", (q) => q.eq("actor", conv.actor).eq("conversationId", conv._id))
    .order("desc")
    .take(64);
  for (const job of recent) {
    if (!LIVE.includes(job.state)) continue;
    await moveJob(ctx, job, "cancelled", {
      lease: job.lease + 1,
      lastError: coded("E_SYNC_JOB_CANCELLED_REPLACED", "a newer import of this conversation replaced this job"),
    });
  }
}
