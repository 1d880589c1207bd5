/**
 * The sync job as a kind of durable job (jobEngine.ts): its rows store the engine's state. `verifying` (a second
 * pass of older versions, now done while applying) is only read, as `running`, from rows written before.
 * Public state: syncing (queued, running, retry_wait, verifying) | synced | failed | cancelled.
 */
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import type { MutationCtx } from "./_generated/server.js";
import type { ErrorCode } from "./errorCodes.js";
import { cancel, scheduleStep, type JobKind, type State } from "./jobEngine.js";
import { abandon } from "./replace.js";

export type JobState = Doc<"sync_jobs">["state"];
/**
 * Records one step applies at most: a chunk's worth (steps usually stop earlier, at their budget: syncJobs.ts
 * STEP_BUDGET). After a step lost to a Convex limit, steps hold STEP_RETRY_RECORDS, halved at each further loss.
 */
export const STEP_MAX_RECORDS = 4096;
export const STEP_RETRY_RECORDS = 128; // 1 by the last of RETRY.maxAttempts

export function publicState(s: JobState): "syncing" | "synced" | "failed" | "cancelled" {
  return s === "succeeded" ? "synced" : s === "failed" ? "failed" : s === "cancelled" ? "cancelled" : "syncing";
}

export const syncJobKind: JobKind<"sync_jobs"> = {
  table: "sync_jobs",
  stateOf: (job) => (job.state === "verifying" ? "running" : job.state),
  store: (_job, to) => ({ state: to }),
  errorField: "lastError",
  step: internal.syncJobs.runStep,
  watch: internal.syncJobs.watchStep,
  codes: { retry: "E_SYNC_JOB_TRANSIENT", exhausted: "E_SYNC_JOB_RETRIES_EXHAUSTED" },
  smaller: (job) => {
    const stepRecords = job.stepRecords === undefined ? STEP_RETRY_RECORDS : Math.max(1, Math.floor(job.stepRecords / 2));
    return { patch: { stepRecords }, what: `${stepRecords} records per step` };
  },
  onStopped: async (ctx, job) => {
    // The conversation no longer matches its import: drifted (a newer import, when there is one, says otherwise).
    const conv = await ctx.db.get("conversations", job.conversationId);
    if (conv !== null && conv.activeSyncJobId === job._id) await ctx.db.patch("conversations", conv._id, { syncState: "drifted", updatedAt: Date.now() });
    await abandon(ctx, job); // a replace it began is undone: readers saw the old turns throughout
  },
};

export const LIVE: readonly State[] = ["queued", "running", "retry_wait"];

/** Insert a queued job and schedule its first step. */
export async function startJob(ctx: MutationCtx, source: Doc<"sync_sources">, conv: Doc<"conversations">,
  totals: { chunks: number; records: number; bytes: number }, now: number, base?: Doc<"sync_jobs">["base"]): Promise<Id<"sync_jobs">> {
  const jobId = await ctx.db.insert("sync_jobs", {
    actor: source.actor, conversationId: conv._id, sourceId: source._id, state: "queued", lease: 1,
    totalChunks: totals.chunks, totalRecords: totals.records, totalBytes: totals.bytes,
    processedChunks: 0, processedOffset: 0, processedRecords: 0, verifiedChunks: 0, verifiedOffset: 0, verifiedRecords: 0,
    attempts: 0, base,
    maxStepBytesRead: 0, createdAt: now, updatedAt: now,
  });
  await ctx.db.patch("conversations", conv._id, { activeSyncJobId: jobId, syncState: "syncing", updatedAt: now });
  await scheduleStep(ctx, syncJobKind, jobId, 1, now);
  return jobId;
}

/**
 * Cancel a conversation's live jobs (a newer import replaces them: E_SYNC_JOB_CANCELLED_REPLACED; a deletion stops
 * them: E_SYNC_JOB_CANCELLED_DELETED). Every start cancels the live ones before it, so only the newest jobs of a
 * conversation can be live: reading its 64 newest, by the conversation's own index, is enough.
 */
export async function cancelLiveJobs(ctx: MutationCtx, conv: Doc<"conversations">, code: ErrorCode, message: string): Promise<void> {
  const recent = await ctx.db
    .query("sync_jobs")
    .withIndex("actor_conversationId_createdAt", (q) => q.eq("actor", conv.actor).eq("conversationId", conv._id))
    .order("desc")
    .take(64);
  for (const job of recent) await cancel(ctx, syncJobKind, job, code, message);
}
