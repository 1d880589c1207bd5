import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vActor } from "../validators.js";

export const vJobState = v.union(
  v.literal("queued"), v.literal("running"), v.literal("retry_wait"), v.literal("verifying"),
  v.literal("succeeded"), v.literal("failed"), v.literal("cancelled"),
);
export const vCodedError = v.object({ code: v.string(), message: v.string() });
/** What a sync job's steps read and wrote through the database, summed (bufferedDb.ts `spent`). */
export const vSpent = v.object({ documentsRead: v.number(), indexRanges: v.number(), documentsWritten: v.number() });
/** An incremental sync's base (syncBase.ts): the turns it keeps, and their chain when the host knows it. */
export const vSyncBase = v.object({ keepTurns: v.number(), prefixHash: v.optional(v.string()) });

export const syncTables = {
  // Written by syncSources.start/seal/expire; read by append, seal and the job. One import of one thread.
  sync_sources: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    threadId: v.string(),
    idempotencyKey: v.string(), // from the host: the same import started again finds this source
    state: v.union(v.literal("collecting"), v.literal("sealed"), v.literal("failed")),
    createdAt: v.number(),
    expiresAt: v.number(), // an unsealed source is failed and its chunks deleted after this
    sealedAt: v.optional(v.number()),
    totalChunks: v.optional(v.number()),
    totalRecords: v.optional(v.number()),
    totalBytes: v.optional(v.number()),
    rootHash: v.optional(v.string()),
    base: v.optional(vSyncBase),
    jobId: v.optional(v.id("sync_jobs")),
    error: v.optional(vCodedError),
  })
    .index("actor_idempotencyKey", ["actor", "idempotencyKey"])
    .index("actor_conversationId_createdAt", ["actor", "conversationId", "createdAt"])
    .index("actor_threadId", ["actor", "threadId"])
    .index("actor_createdAt", ["actor", "createdAt"]),

  // Written by syncSources.append (insert only); read by listChunks, seal (metadata only) and the job.
  // Small on purpose: seal reads every row of a source; the payload lives in sync_chunk_payloads.
  sync_chunks: defineTable({
    actor: vActor,
    sourceId: v.id("sync_sources"),
    chunkIndex: v.number(),
    sha256: v.string(),
    recordCount: v.number(),
    byteCount: v.number(),
  }).index("actor_sourceId_chunkIndex", ["actor", "sourceId", "chunkIndex"]),

  // Written by syncSources.append; read by the job one chunk at a time. The exact UTF-8 JSON of the records.
  sync_chunk_payloads: defineTable({
    actor: vActor,
    sourceId: v.id("sync_sources"),
    chunkIndex: v.number(),
    payload: v.string(),
  }).index("actor_sourceId_chunkIndex", ["actor", "sourceId", "chunkIndex"]),

  // Written by seal (insert), the job's steps, cancel; read by getJob (the query hosts subscribe to) and listJobs.
  sync_jobs: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    sourceId: v.id("sync_sources"),
    state: vJobState,
    lease: v.number(), // fencing token: a scheduled step carrying an older lease does nothing
    totalChunks: v.number(),
    totalRecords: v.number(),
    totalBytes: v.number(),
    processedChunks: v.number(), // chunks wholly ingested
    processedOffset: v.number(), // records of the next chunk already ingested (a step may stop inside a chunk)
    processedRecords: v.number(),
    verifiedChunks: v.number(),
    verifiedOffset: v.number(),
    verifiedRecords: v.number(),
    attempts: v.number(), // failed attempts of the current step
    base: v.optional(vSyncBase), // the source's base: turns past it are removed before any chunk is ingested
    truncated: v.optional(v.boolean()), // those turns are gone (or, when replacing, retired)
    replacing: v.optional(v.boolean()), // the turns past the base did not fit one step: replaced behind tags (replace.ts)
    held: v.optional(v.string()), // replacing: changes to the thread's and conversation's rows, held until the swap (JSON)
    stepRecords: v.optional(v.number()), // records per step when lower than STEP_MAX_RECORDS (halved by the watchdog)
    retryAt: v.optional(v.number()),
    lastError: v.optional(vCodedError),
    maxStepBytesRead: v.number(), // the largest payload one step read: proof no step nears Convex's limits
    // What the job's steps read and wrote through the database, summed (bufferedDb.ts `spent`): reads per record.
    spent: v.optional(vSpent),
    createdAt: v.number(),
    updatedAt: v.number(),
    startedAt: v.optional(v.number()),
    finishedAt: v.optional(v.number()),
  })
    .index("actor_conversationId_createdAt", ["actor", "conversationId", "createdAt"])
    .index("actor_state_createdAt", ["actor", "state", "createdAt"])
    .index("actor_createdAt", ["actor", "createdAt"])
    .index("actor_sourceId", ["actor", "sourceId"]),
};
