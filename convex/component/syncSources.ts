/**
 * Durable sync sources (the host pushes a local thread): start → append chunks → seal, then a job ingests them
 * (syncJobs.ts). Modeled on tus (per-chunk checksums, asking what the server holds, expiry) and S3 multipart
 * (totals and a root hash checked at completion).
 *
 * - A chunk is the exact UTF-8 JSON array of its records (ingest events), at most CHUNK_MAX_BYTES, with its
 *   SHA-256, which the server recomputes. The same chunk again is a no-op; another payload at the same index is
 *   E_SYNC_SOURCE_CHUNK_CONFLICT.
 * - Seal checks the totals and the root hash (SHA-256 over the chunk hashes in order) against what is stored,
 *   with no gaps. A refused seal changes nothing, so the host can fix and retry.
 * Touches sync_sources, sync_chunks, sync_chunk_payloads, sync_jobs (insert, cancel) and the conversation.
 */
import { validate } from "convex-helpers/validators";
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { openBinding, toConversation, vConversation } from "./conversations.js";
import { coded, fail } from "./errors.js";
import { rootHash, sha256Hex, SHA256_HEX } from "./hashing.js";
import { vIngestEvent } from "./ingestEvents.js";
import { cancelLiveJobs, startJob } from "./syncJobState.js";
import { checkActor } from "./scope.js";
import { checkBase } from "./syncBase.js";
import { vSyncBase } from "./tables/sync.js";
import { utf8Bytes } from "./text.js";
import { paginated, vActor, vPaginationOpts, pageSize } from "./validators.js";
import { paginator } from "convex-helpers/server/pagination";
import schema from "./schema.js";

import { CHUNK_MAX_BYTES, MAX_CHUNKS_PER_SOURCE, MAX_RECORDS_PER_CHUNK } from "./limits.js";
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_TTL_MS = 7 * DEFAULT_TTL_MS;
const EXPIRE_BATCH = 8; // chunks deleted per expiry step: ≤ 8 × 512 KiB, read twice (query + delete), < 16 MiB

export const vSourceView = v.object({
  sourceId: v.string(),
  conversationId: v.string(),
  threadId: v.string(),
  state: v.union(v.literal("collecting"), v.literal("sealed"), v.literal("failed")),
  heldChunks: v.number(),
  jobId: v.union(v.string(), v.null()),
  expiresAt: v.number(),
  error: v.union(v.object({ code: v.string(), message: v.string() }), v.null()),
});

export async function loadSource(ctx: QueryCtx, actor: string, sourceId: string): Promise<Doc<"sync_sources">> {
  checkActor(actor);
  const id = ctx.db.normalizeId("sync_sources", sourceId);
  const source = id === null ? null : await ctx.db.get("sync_sources", id);
  if (source === null || source.actor !== actor) fail("E_SYNC_SOURCE_NOT_FOUND", "no such sync source", { sourceId });
  return source;
}

async function chunkMetas(ctx: QueryCtx, s: Doc<"sync_sources">, after = -1, limit = MAX_CHUNKS_PER_SOURCE + 1) {
  return await ctx.db
    .query("sync_chunks")
    .withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", s.actor).eq("sourceId", s._id).gt("chunkIndex", after))
    .take(limit);
}

async function view(ctx: QueryCtx, s: Doc<"sync_sources">) {
  const held = s.state === "collecting" ? (await chunkMetas(ctx, s)).length : (s.totalChunks ?? 0);
  return {
    sourceId: s._id as string, conversationId: s.conversationId as string, threadId: s.threadId, state: s.state,
    heldChunks: held, jobId: (s.jobId as string | undefined) ?? null, expiresAt: s.expiresAt, error: s.error ?? null,
  };
}

async function resumable(ctx: QueryCtx, s: Doc<"sync_sources">): Promise<boolean> {
  if (s.state === "failed") return false;
  if (s.state === "collecting" || s.jobId === undefined) return true;
  const job = await ctx.db.get("sync_jobs", s.jobId);
  return job !== null && job.state !== "failed" && job.state !== "cancelled";
}

/** Start an import of `threadId`, or find the one started with the same `idempotencyKey` (to resume it). */
export const start = mutation({
  args: {
    actor: vActor, threadId: v.string(), idempotencyKey: v.string(),
    conversationId: v.optional(v.string()), ttlMs: v.optional(v.number()),
  },
  returns: v.object({ source: vSourceView, conversation: vConversation, resumed: v.boolean() }),
  handler: async (ctx, { actor, threadId, idempotencyKey, conversationId, ttlMs }) => {
    checkActor(actor);
    if (idempotencyKey.length === 0 || idempotencyKey.length > 256) fail("E_SYNC_BAD_KEY", "idempotencyKey must be 1-256 characters");
    if (ttlMs !== undefined && !(ttlMs >= 1000 && ttlMs <= MAX_TTL_MS)) fail("E_SYNC_BAD_TTL", `ttlMs must be between 1000 and ${MAX_TTL_MS}`);
    // The newest source with this key: resumed while it collects, or followed while its job lives or succeeded; an
    // expired source, or one whose job failed or was cancelled, is replaced by a new one.
    const existing = await ctx.db
      .query("sync_sources")
      .withIndex("actor_idempotencyKey", (q) => q.eq("actor", actor).eq("idempotencyKey", idempotencyKey))
      .order("desc")
      .first();
    if (existing !== null && (await resumable(ctx, existing))) {
      if (existing.threadId !== threadId) fail("E_SYNC_KEY_REUSED", "this idempotencyKey belongs to another thread's import");
      const conv = (await ctx.db.get("conversations", existing.conversationId))!;
      return { source: await view(ctx, existing), conversation: toConversation(conv), resumed: true };
    }
    const { conversation } = await openBinding(ctx, actor, threadId, conversationId);
    const now = Date.now();
    const expiresAt = now + (ttlMs ?? DEFAULT_TTL_MS);
    const id = await ctx.db.insert("sync_sources", {
      actor, conversationId: conversation._id, threadId, idempotencyKey, state: "collecting", createdAt: now, expiresAt,
    });
    await ctx.scheduler.runAt(expiresAt, internal.syncSources.expire, { sourceId: id });
    await ctx.db.patch("conversations", conversation._id, { syncState: "syncing", updatedAt: now });
    const source = (await ctx.db.get("sync_sources", id))!;
    return { source: await view(ctx, source), conversation: toConversation((await ctx.db.get("conversations", conversation._id))!), resumed: false };
  },
});

/** Which chunks the server holds, with their hashes: a page of up to 1024 after `afterIndex`. */
export const listChunks = query({
  args: { actor: vActor, sourceId: v.string(), afterIndex: v.optional(v.number()) },
  returns: v.object({
    chunks: v.array(v.object({ chunkIndex: v.number(), sha256: v.string(), recordCount: v.number(), byteCount: v.number() })),
    isDone: v.boolean(),
  }),
  handler: async (ctx, { actor, sourceId, afterIndex }) => {
    const s = await loadSource(ctx, actor, sourceId);
    const rows = await chunkMetas(ctx, s, afterIndex ?? -1, 1025);
    return {
      chunks: rows.slice(0, 1024).map((c) => ({ chunkIndex: c.chunkIndex, sha256: c.sha256, recordCount: c.recordCount, byteCount: c.byteCount })),
      isDone: rows.length <= 1024,
    };
  },
});

export const append = mutation({
  args: { actor: vActor, sourceId: v.string(), chunkIndex: v.number(), payload: v.string(), sha256: v.string(), recordCount: v.number() },
  returns: v.object({ appended: v.boolean(), chunkIndex: v.number() }),
  handler: async (ctx, { actor, sourceId, chunkIndex, payload, sha256, recordCount }) => {
    const s = await loadSource(ctx, actor, sourceId);
    const owner = await ctx.db.get("conversations", s.conversationId);
    if (owner === null || owner.status === "deleting") fail("E_CONVERSATION_DELETING", "the conversation is being deleted");
    if (s.state !== "collecting") fail("E_SYNC_SOURCE_NOT_COLLECTING", `the source is ${s.state}: chunks can no longer be added`, { state: s.state });
    if (s.expiresAt <= Date.now()) fail("E_SYNC_SOURCE_EXPIRED", "the source expired before it was sealed");
    if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= MAX_CHUNKS_PER_SOURCE) {
      fail("E_SYNC_CHUNK_BAD_INDEX", `chunkIndex must be an integer in [0, ${MAX_CHUNKS_PER_SOURCE})`, { chunkIndex });
    }
    if (!SHA256_HEX.test(sha256)) fail("E_SYNC_CHUNK_BAD_HASH", "sha256 must be 64 lowercase hex characters");
    const bytes = utf8Bytes(payload);
    if (bytes > CHUNK_MAX_BYTES) fail("E_SYNC_CHUNK_TOO_LARGE", `a chunk holds at most ${CHUNK_MAX_BYTES} bytes`, { bytes });
    const actual = sha256Hex(payload);
    if (actual !== sha256) fail("E_SYNC_CHUNK_HASH_MISMATCH", "the payload's SHA-256 is not the one sent", { chunkIndex, expected: sha256, actual });
    const existing = await ctx.db
      .query("sync_chunks")
      .withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", actor).eq("sourceId", s._id).eq("chunkIndex", chunkIndex))
      .unique();
    if (existing !== null) {
      if (existing.sha256 === sha256) return { appended: false, chunkIndex };
      fail("E_SYNC_SOURCE_CHUNK_CONFLICT", "another payload is already stored at this index", { chunkIndex });
    }
    let records: unknown;
    try {
      records = JSON.parse(payload);
    } catch {
      fail("E_SYNC_CHUNK_BAD_JSON", "the payload is not JSON", { chunkIndex });
    }
    if (!Array.isArray(records) || records.length === 0 || records.length > MAX_RECORDS_PER_CHUNK) {
      fail("E_SYNC_CHUNK_BAD_JSON", `the payload must be a JSON array of 1-${MAX_RECORDS_PER_CHUNK} records`, { chunkIndex });
    }
    if (records.length !== recordCount) fail("E_SYNC_CHUNK_BAD_COUNT", "recordCount does not match the payload", { chunkIndex, recordCount, actual: records.length });
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as { threadId?: unknown };
      if (!validate(vIngestEvent, r)) fail("E_SYNC_RECORD_INVALID", "a record is not a valid event", { chunkIndex, record: i });
      if (r.threadId !== undefined && r.threadId !== s.threadId) fail("E_SYNC_RECORD_WRONG_THREAD", "a record belongs to another thread", { chunkIndex, record: i });
    }
    await ctx.db.insert("sync_chunks", { actor, sourceId: s._id, chunkIndex, sha256, recordCount, byteCount: bytes });
    await ctx.db.insert("sync_chunk_payloads", { actor, sourceId: s._id, chunkIndex, payload });
    return { appended: true, chunkIndex };
  },
});

export const seal = mutation({
  args: { actor: vActor, sourceId: v.string(), totalChunks: v.number(), totalRecords: v.number(), totalBytes: v.number(), rootHash: v.string(), base: v.optional(vSyncBase) },
  returns: v.object({ jobId: v.string(), scheduled: v.boolean() }),
  handler: async (ctx, args) => {
    const s = await loadSource(ctx, args.actor, args.sourceId);
    if (s.state === "sealed") {
      const same = s.rootHash === args.rootHash && s.totalChunks === args.totalChunks;
      if (!same) fail("E_SYNC_SOURCE_SEALED", "the source was sealed with other totals");
      return { jobId: s.jobId as string, scheduled: false };
    }
    if (s.state === "failed") fail("E_SYNC_SOURCE_FAILED", `the source failed: ${s.error?.message ?? "unknown"}`, { cause: s.error?.code ?? null });
    const metas = await chunkMetas(ctx, s);
    for (let i = 0; i < metas.length; i++) {
      if (metas[i].chunkIndex !== i) fail("E_SYNC_SOURCE_CHUNK_INDEX_GAP", `chunk ${i} is missing`, { missing: i });
    }
    if (metas.length < args.totalChunks) {
      fail("E_SYNC_SOURCE_CHUNK_INDEX_GAP", `chunk ${metas.length} is missing`, { missing: metas.length });
    }
    const records = metas.reduce((n, c) => n + c.recordCount, 0);
    const bytes = metas.reduce((n, c) => n + c.byteCount, 0);
    if (metas.length !== args.totalChunks || records !== args.totalRecords || bytes !== args.totalBytes) {
      fail("E_SYNC_SEAL_TOTALS_MISMATCH", "the totals do not match the stored chunks", {
        chunks: metas.length, records, bytes, expectedChunks: args.totalChunks, expectedRecords: args.totalRecords, expectedBytes: args.totalBytes,
      });
    }
    const root = rootHash(metas.map((c) => c.sha256));
    if (root !== args.rootHash) fail("E_SYNC_ROOT_HASH_MISMATCH", "the root hash does not match the stored chunks", { expected: args.rootHash, actual: root });
    if (args.base !== undefined) await checkBase(ctx, args.actor, s.threadId, args.base);
    const now = Date.now();
    const conv = (await ctx.db.get("conversations", s.conversationId))!;
    await cancelLiveJobs(ctx, conv, "E_SYNC_JOB_CANCELLED_REPLACED", "a newer import of this conversation replaced this job");
    const jobId = await startJob(ctx, s, conv, { chunks: metas.length, records, bytes }, now, args.base);
    await ctx.db.patch("sync_sources", s._id, { state: "sealed", sealedAt: now, totalChunks: metas.length, totalRecords: records, totalBytes: bytes, rootHash: root, base: args.base, jobId });
    return { jobId: jobId as string, scheduled: true };
  },
});

/** Scheduled at start for `expiresAt`: an unsealed source fails and its chunks are deleted, a batch per step. */
export const expire = internalMutation({
  args: { sourceId: v.id("sync_sources") },
  returns: v.null(),
  handler: async (ctx, { sourceId }) => {
    const s = await ctx.db.get("sync_sources", sourceId);
    if (s === null || s.state === "sealed") return null;
    if (s.state === "collecting") {
      await ctx.db.patch("sync_sources", s._id, { state: "failed", error: coded("E_SYNC_SOURCE_EXPIRED", "not sealed before it expired") });
      const conv = await ctx.db.get("conversations", s.conversationId);
      if (conv !== null && conv.syncState === "syncing" && conv.activeSyncJobId === undefined) {
        await ctx.db.patch("conversations", conv._id, { syncState: "drifted", updatedAt: Date.now() });
      }
    }
    await deleteChunks(ctx, s._id, s.actor, EXPIRE_BATCH, internal.syncSources.expire);
    return null;
  },
});

/** Delete up to `batch` chunks (payload and metadata) of a source; reschedule `again` while some remain. */
export async function deleteChunks(ctx: MutationCtx, sourceId: Id<"sync_sources">, actor: string, batch: number, again: any): Promise<number> {
  const payloads = await ctx.db
    .query("sync_chunk_payloads")
    .withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", actor).eq("sourceId", sourceId))
    .take(batch);
  const metas = await ctx.db
    .query("sync_chunks")
    .withIndex("actor_sourceId_chunkIndex", (q) => q.eq("actor", actor).eq("sourceId", sourceId))
    .take(batch);
  for (const p of payloads) await ctx.db.delete("sync_chunk_payloads", p._id);
  for (const m of metas) await ctx.db.delete("sync_chunks", m._id);
  if (payloads.length === batch || metas.length === batch) await ctx.scheduler.runAfter(0, again, { sourceId });
  return payloads.length + metas.length;
}

export const vSourceRow = v.object({
  sourceId: v.string(),
  conversationId: v.string(),
  threadId: v.string(),
  state: v.union(v.literal("collecting"), v.literal("sealed"), v.literal("failed")),
  totalChunks: v.union(v.number(), v.null()),
  totalRecords: v.union(v.number(), v.null()),
  totalBytes: v.union(v.number(), v.null()),
  jobId: v.union(v.string(), v.null()),
  createdAt: v.number(),
  sealedAt: v.union(v.number(), v.null()),
  expiresAt: v.number(),
  error: v.union(v.object({ code: v.string(), message: v.string() }), v.null()),
});

/** The caller's sync sources, newest first, a page at a time. */
export const list = query({
  args: { actor: vActor, paginationOpts: vPaginationOpts },
  returns: paginated(vSourceRow),
  handler: async (ctx, { actor, paginationOpts }) => {
    checkActor(actor);
    const numItems = pageSize(paginationOpts);
    const page = await paginator(ctx.db, schema)
      .query("sync_sources")
      .withIndex("actor_createdAt", (q) => q.eq("actor", actor))
      .order("desc")
      .paginate({ cursor: paginationOpts.cursor, numItems });
    return {
      page: page.page.map((s) => ({
        sourceId: s._id as string, conversationId: s.conversationId as string, threadId: s.threadId, state: s.state,
        totalChunks: s.totalChunks ?? null, totalRecords: s.totalRecords ?? null, totalBytes: s.totalBytes ?? null,
        jobId: (s.jobId as string | undefined) ?? null, createdAt: s.createdAt, sealedAt: s.sealedAt ?? null,
        expiresAt: s.expiresAt, error: s.error ?? null,
      })),
      isDone: page.isDone,
      continueCursor: page.continueCursor,
    };
  },
});
