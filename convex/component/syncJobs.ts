/**
 * The server-owned sync job: scheduled steps, each ingesting as many chunks as fit in a budget well under Convex's
 * limits. Verification happens while applying, in the same transaction: each chunk's payload is hashed again and
 * must match the SHA-256 checked at append (and the root hash at seal), and its records are applied once each, in
 * order, counted against the chunk's recordCount — so a record counted verified is stored exactly as sent, with no
 * second pass reading everything back. Each step's work runs in a sub-transaction (`ctx.runMutation`): bad data rolls back
 * that step alone and fails the job with its code; other errors retry with backoff and jitter. A lease (fencing
 * token) carried by every scheduled step makes sure two steps never work the same job.
 */
import { paginator } from "convex-helpers/server/pagination";
import { v, type Infer } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import schema from "./schema.js";
import { fail } from "./errors.js";
import { sha256Hex } from "./hashing.js";
import { applyEvents } from "./ingestApply.js";
import { BufferedDb } from "./bufferedDb.js";
import { checkBase } from "./syncBase.js";
import { mark, REPLACE_WAIT_MS, restartStalled, retireStep, swap, type Held } from "./replace.js";
import { chainAt } from "./threadState.js";
import type { IngestEvent } from "./ingestEvents.js";
import { checkActor, findConversation, findThread } from "./scope.js";
import * as engine from "./jobEngine.js";
import { publicState, STEP_MAX_RECORDS, syncJobKind } from "./syncJobState.js";
import { vStepId } from "./watchdog.js";
import { vCodedError, vJobState, vSpent } from "./tables/sync.js";
import { utf8Bytes } from "./text.js";
import { paginated, vActor, vPaginationOpts, pageSize } from "./validators.js";

export const STEP_MAX_BYTES = 2 * 1024 * 1024; // payload read per step: writes stay far under 16 MiB
export const STEP_MAX_CHUNKS = 8;
/**
 * A step stops after the record that brings it to any of these: well inside Convex's per-transaction limits
 * (16,000 documents and 16 MiB written, 32,000 documents read, 4,096 index ranges), keeping room for the record in
 * hand (a whole item: ≤ 256 KiB, a few dozen rows) and the step's bookkeeping, and its user code (building the rows
 * in memory, ~0.1 ms per record) far from Convex's 1 s. Steps cannot budget by time: Convex freezes Date.now().
 */
export const STEP_BUDGET = { documentsWritten: 4_000, bytesWritten: 6 * 1024 * 1024, documentsRead: 8_000, indexRanges: 1_500 };

type Spent = Infer<typeof vSpent>;
const NOTHING_SPENT: Spent = { documentsRead: 0, indexRanges: 0, documentsWritten: 0 };
const addSpent = (a: Spent | undefined, b: Spent): Spent => ({
  documentsRead: (a?.documentsRead ?? 0) + b.documentsRead, indexRanges: (a?.indexRanges ?? 0) + b.indexRanges,
  documentsWritten: (a?.documentsWritten ?? 0) + b.documentsWritten,
});

function stepFull(spent: BufferedDb["spent"]): boolean {
  return spent.documentsWritten >= STEP_BUDGET.documentsWritten || spent.bytesWritten >= STEP_BUDGET.bytesWritten
    || spent.documentsRead >= STEP_BUDGET.documentsRead || spent.indexRanges >= STEP_BUDGET.indexRanges;
}

export const vJob = v.object({
  jobId: v.string(),
  sourceId: v.string(),
  conversationId: v.string(),
  state: vJobState,
  publicState: v.union(v.literal("syncing"), v.literal("synced"), v.literal("failed"), v.literal("cancelled")),
  totalChunks: v.number(),
  totalRecords: v.number(),
  totalBytes: v.number(),
  processedChunks: v.number(),
  processedRecords: v.number(),
  verifiedRecords: v.number(),
  attempts: v.number(),
  lastError: v.union(vCodedError, v.null()),
  maxStepBytesRead: v.number(),
  label: v.string(),
  createdAt: v.number(),
  updatedAt: v.number(),
  startedAt: v.union(v.number(), v.null()),
  finishedAt: v.union(v.number(), v.null()),
});

export function toJob(j: Doc<"sync_jobs">) {
  return {
    jobId: j._id as string, sourceId: j.sourceId as string, conversationId: j.conversationId as string, state: j.state,
    publicState: publicState(j.state), totalChunks: j.totalChunks, totalRecords: j.totalRecords, totalBytes: j.totalBytes,
    processedChunks: j.processedChunks, processedRecords: j.processedRecords, verifiedRecords: j.verifiedRecords,
    attempts: j.attempts, lastError: j.lastError ?? null, maxStepBytesRead: j.maxStepBytesRead,
    label: `${j.processedRecords}/${j.totalRecords} synced`, createdAt: j.createdAt, updatedAt: j.updatedAt,
    startedAt: j.startedAt ?? null, finishedAt: j.finishedAt ?? null,
  };
}

export const runStep = internalMutation({
  args: { jobId: v.id("sync_jobs"), lease: v.number() },
  returns: v.null(),
  handler: async (ctx, { jobId, lease }) => {
    const job = await ctx.db.get("sync_jobs", jobId);
    if (engine.fencedOff(syncJobKind, job, lease)) return null;
    const now = Date.now();
    let result: { index: number; offset: number; records: number; bytes: number; spent: Spent; wait?: boolean };
    try {
      result = await ctx.runMutation(internal.syncJobs.processChunks, { jobId });
    } catch (e) {
      await engine.stepFailed(ctx, syncJobKind, job, e);
      return null;
    }
    if (result.wait === true) {
      // another job's replace of the thread is still cleaning up: look again shortly (not a failed attempt)
      await engine.reschedule(ctx, syncJobKind, job, now + REPLACE_WAIT_MS);
      return null;
    }
    const next = { lease: job.lease + 1, attempts: 0, retryAt: undefined, startedAt: job.startedAt ?? now,
      maxStepBytesRead: Math.max(job.maxStepBytesRead, result.bytes), spent: addSpent(job.spent, result.spent) };
    const done = result.index >= job.totalChunks;
    // applied = verified (see above): both counters move together
    const progress = {
      processedChunks: result.index, processedOffset: result.offset, processedRecords: job.processedRecords + result.records,
      verifiedChunks: result.index, verifiedOffset: result.offset, verifiedRecords: job.processedRecords + result.records,
    };
    if (!(await engine.move(ctx, syncJobKind, job, done ? "succeeded" : "running", { ...next, ...progress }))) {
      throw new Error(`sync job ${jobId}: no arrow from ${job.state} after a step`);
    }
    if (done) {
      const after = (await ctx.db.get("sync_jobs", jobId))!;
      if (after.replacing === true) await swap(ctx, after, (await ctx.db.get("sync_sources", job.sourceId))!.threadId);
      const conv = await ctx.db.get("conversations", job.conversationId);
      if (conv !== null && conv.activeSyncJobId === job._id) {
        await ctx.db.patch("conversations", conv._id, { syncState: "synced", lastSyncedCursor: job.totalRecords, updatedAt: now });
      }
      return null;
    }
    await engine.scheduleStep(ctx, syncJobKind, jobId, job.lease + 1, now);
    return null;
  },
});

/** Step `lease`'s watchdog (jobEngine.watch): a lost step is retried with half as many records per step. */
export const watchStep = internalMutation({
  args: { jobId: v.id("sync_jobs"), lease: v.number(), stepId: vStepId },
  returns: v.null(),
  handler: async (ctx, args) => await engine.watch(ctx, syncJobKind, args),
});

/** Chunk `index`, parsed; its payload hashed again (at-rest corruption) when the job first reaches it (`verify`). */
async function chunkAt(ctx: QueryCtx, job: Doc<"sync_jobs">, index: number, verify: boolean) {
  const meta = await ctx.db
    .query("sync_chunks")
    .withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", job.actor).eq("sourceId", job.sourceId).eq("chunkIndex", index))
    .unique();
  const body = await ctx.db
    .query("sync_chunk_payloads")
    .withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", job.actor).eq("sourceId", job.sourceId).eq("chunkIndex", index))
    .unique();
  if (meta === null || body === null) fail("E_SYNC_CHUNK_MISSING", `chunk ${index} is gone`, { chunkIndex: index });
  if (verify && sha256Hex(body.payload) !== meta.sha256) fail("E_SYNC_CHUNK_CORRUPT", `chunk ${index} no longer matches its hash`, { chunkIndex: index });
  return { meta, records: JSON.parse(body.payload) as IngestEvent[], bytes: utf8Bytes(body.payload) };
}

/**
 * One step's work, in a sub-transaction: ingest from where the job stands — chunk `index`, record `offset` — until
 * a budget runs out (records, bytes read, chunks). Returns the new position.
 */
export const processChunks = internalMutation({
  args: { jobId: v.id("sync_jobs") },
  returns: v.object({ index: v.number(), offset: v.number(), records: v.number(), bytes: v.number(), spent: vSpent }),
  handler: async (ctx, { jobId }) => {
    const job = (await ctx.db.get("sync_jobs", jobId))!;
    const conv = await ctx.db.get("conversations", job.conversationId);
    if (conv === null) fail("E_CONVERSATION_NOT_FOUND", "the conversation was deleted");
    if (conv.status === "deleting") fail("E_CONVERSATION_DELETING", "the conversation is being deleted");
    const { threadId: sourceThread } = (await ctx.db.get("sync_sources", job.sourceId))!;
    const thread = await findThread(ctx, job.actor, sourceThread);
    const noProgress = { index: job.processedChunks, offset: job.processedOffset, records: 0, bytes: 0, spent: NOTHING_SPENT };
    // One replace of a thread at a time (replace.ts): another job's is still cleaning up.
    if (thread?.replace !== undefined && thread.replace.jobId !== job._id) {
      await restartStalled(ctx, thread);
      return { ...noProgress, wait: true };
    }
    let replacing = job.replacing === true;
    let baseCounts: Record<string, unknown> | undefined;
    if (job.base !== undefined && !job.truncated) {
      // Before any chunk: the base still holds (checked again: the thread may have changed since seal), then the
      // turns past it are retired, a bounded batch per step; readers see them until the swap (replace.ts).
      if (!replacing) await checkBase(ctx, job.actor, sourceThread, job.base);
      const keep = job.base.keepTurns;
      const past = replacing || thread === null ? null : await ctx.db.query("turns").withIndex("actor_threadId_ordinal", (q) => q.eq("actor", job.actor).eq("threadId", sourceThread).gte("ordinal", keep)).first();
      if (thread !== null && (replacing || past !== null)) {
        const m = thread.replace ?? (await mark(ctx, thread, job._id, keep));
        if (!replacing) await ctx.db.patch("sync_jobs", job._id, { replacing: (replacing = true) });
        const retired = await retireStep(ctx, thread, m);
        if (retired === null) return noProgress;
        // From the swap on, the thread ends at its base, and then the new records: counts and chain held from here.
        const kept = Math.min(thread.syncedTurns ?? 0, keep);
        baseCounts = {
          turnCount: Math.min(thread.turnCount, keep), messageCount: Math.max(0, thread.messageCount - (retired.retiredMessages ?? 0)),
          syncedTurns: kept, prefixHash: (await chainAt(ctx, thread, kept)) ?? "",
        };
      }
      await ctx.db.patch("sync_jobs", job._id, { truncated: true });
    }
    let index = job.processedChunks;
    let offset = job.processedOffset;
    let chunks = 0, records = 0, bytes = 0;
    // The records' rows are built in memory and written once, at the end of the step (bufferedDb.ts).
    const db = new BufferedDb(ctx.db, replacing ? { jobId: job._id } : undefined);
    if (replacing) await db.hold(job.held === undefined ? {} : (JSON.parse(job.held) as Held));
    if (baseCounts !== undefined) await db.patch("threads", thread!._id, baseCounts);
    const buffered = { ...ctx, db } as unknown as MutationCtx;
    // a replacing job reads the conversation as it will be after its swap (its own held changes merged)
    const view = replacing ? ((await db.get("conversations", conv._id)) as typeof conv) : conv;
    const maxRecords = job.stepRecords ?? STEP_MAX_RECORDS;
    const full = () => records >= maxRecords || stepFull(db.spent);
    while (index < job.totalChunks && chunks < STEP_MAX_CHUNKS && !full() && (chunks === 0 || bytes < STEP_MAX_BYTES)) {
      // A chunk a step began is hashed by that step; a later step resuming inside it reads the same stored bytes.
      const c = await chunkAt(ctx, job, index, offset === 0);
      if (c.records.length !== c.meta.recordCount) {
        fail("E_SYNC_CHUNK_CORRUPT", `chunk ${index} holds ${c.records.length} records, not ${c.meta.recordCount}`, { chunkIndex: index });
      }
      chunks += 1;
      bytes += c.bytes;
      const threadId = conv.threadId;
      if (threadId !== undefined) {
        const turnIds = c.records.slice(offset).flatMap((r) => ("turnId" in r && r.turnId !== undefined && r.threadId === threadId ? [r.turnId] : []));
        await db.checkTurns(conv.actor, threadId, turnIds);
      }
      while (offset < c.records.length && !full()) {
        await applyEvents(buffered, view, [c.records[offset]]);
        offset += 1;
        records += 1;
      }
      if (offset >= c.records.length) {
        index += 1;
        offset = 0;
      }
    }
    await db.flush();
    if (replacing) await ctx.db.patch("sync_jobs", job._id, { held: JSON.stringify(db.heldChanges()) });
    const { documentsRead, indexRanges, documentsWritten } = db.spent;
    // and each chunk read: its metadata and its payload, one index range each
    return { index, offset, records, bytes, spent: { documentsRead: documentsRead + 2 * chunks, indexRanges: indexRanges + 2 * chunks, documentsWritten } };
  },
});

export const cancel = mutation({
  args: { actor: vActor, jobId: v.string() },
  returns: vJob,
  handler: async (ctx, { actor, jobId }) => {
    const job = await loadJob(ctx, actor, jobId);
    if (!(await engine.cancel(ctx, syncJobKind, job, "E_SYNC_JOB_CANCELLED", "cancelled by the owner"))) {
      fail("E_SYNC_JOB_FINISHED", `the job already ${job.state}`, { state: job.state });
    }
    const conv = await ctx.db.get("conversations", job.conversationId);
    if (conv !== null && conv.activeSyncJobId === job._id) await ctx.db.patch("conversations", conv._id, { activeSyncJobId: undefined, updatedAt: Date.now() });
    return toJob((await ctx.db.get("sync_jobs", job._id))!);
  },
});

async function loadJob(ctx: QueryCtx, actor: string, jobId: string): Promise<Doc<"sync_jobs">> {
  checkActor(actor);
  const id = ctx.db.normalizeId("sync_jobs", jobId);
  const job = id === null ? null : await ctx.db.get("sync_jobs", id);
  if (job === null || job.actor !== actor) fail("E_SYNC_JOB_NOT_FOUND", "no such sync job", { jobId });
  return job;
}

/** A job by id, or the latest job of a conversation: the query hosts subscribe to. `{found:false}` when none. */
export const get = query({
  args: { actor: vActor, jobId: v.optional(v.string()), conversationId: v.optional(v.string()) },
  returns: v.union(v.object({ found: v.literal(false) }), v.object({ found: v.literal(true), job: vJob })),
  handler: async (ctx, { actor, jobId, conversationId }) => {
    checkActor(actor);
    if ((jobId === undefined) === (conversationId === undefined)) fail("E_SYNC_BAD_QUERY", "give exactly one of jobId or conversationId");
    let job: Doc<"sync_jobs"> | null = null;
    if (jobId !== undefined) {
      const id = ctx.db.normalizeId("sync_jobs", jobId);
      job = id === null ? null : await ctx.db.get("sync_jobs", id);
    } else {
      const conv = await findConversation(ctx, actor, conversationId!);
      job = conv === null ? null : await ctx.db
        .query("sync_jobs")
        .withIndex("actor_conversationId_createdAt", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
        .order("desc")
        .first();
    }
    return job === null || job.actor !== actor ? { found: false as const } : { found: true as const, job: toJob(job) };
  },
});

export const list = query({
  args: { actor: vActor, conversationId: v.optional(v.string()), state: v.optional(vJobState), paginationOpts: vPaginationOpts },
  returns: paginated(vJob),
  handler: async (ctx, { actor, conversationId, state, paginationOpts }) => {
    checkActor(actor);
    const numItems = pageSize(paginationOpts);
    const p = paginator(ctx.db, schema).query("sync_jobs");
    let q;
    if (conversationId !== undefined) {
      const conv = await findConversation(ctx, actor, conversationId);
      if (conv === null) return { page: [], isDone: true, continueCursor: "" };
      q = p.withIndex("actor_conversationId_createdAt", (x) => x.eq("actor", actor).eq("conversationId", conv._id));
    } else if (state !== undefined) {
      q = p.withIndex("actor_state_createdAt", (x) => x.eq("actor", actor).eq("state", state));
    } else {
      q = p.withIndex("actor_createdAt", (x) => x.eq("actor", actor));
    }
    const page = await q.order("desc").paginate({ cursor: paginationOpts.cursor, numItems });
    const rows = state !== undefined && conversationId !== undefined ? page.page.filter((j) => j.state === state) : page.page;
    return { page: rows.map(toJob), isDone: page.isDone, continueCursor: page.continueCursor };
  },
});
