import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import schema from "./schema.js";
import { initConvexTest } from "../testing/component.js";
import { rootHash, sha256Hex } from "./hashing.js";
import { STEP_RETRY_RECORDS } from "./syncJobState.js";

const actor = "issuer|alice";
const at = 1_700_000_000_000;

function threadRecords(threadId: string, turns: number) {
  const out: object[] = [];
  for (let i = 0; i < turns; i++) {
    const turnId = `turn-${i}`;
    out.push({ type: "turnStarted", threadId, turnId, at });
    out.push({ type: "item", threadId, turnId, itemId: `u${i}`, phase: "completed", itemType: "userMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "userMessage", id: `u${i}`, content: [{ type: "text", text: `question ${i}` }] }), at });
    out.push({ type: "item", threadId, turnId, itemId: `m${i}`, phase: "completed", itemType: "agentMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "agentMessage", id: `m${i}`, text: `answer ${i}` }), at });
    out.push({ type: "turnCompleted", threadId, turnId, status: "completed", at });
  }
  return out;
}

function chunk(records: object[], per: number) {
  const chunks = [];
  for (let i = 0; i < records.length; i += per) {
    const payload = JSON.stringify(records.slice(i, i + per));
    chunks.push({ payload, sha256: sha256Hex(payload), recordCount: records.slice(i, i + per).length, bytes: new TextEncoder().encode(payload).length });
  }
  return chunks;
}

async function begin(t: ReturnType<typeof initConvexTest>, threadId = "th", key = "k1") {
  const r = await t.mutation(api.syncSources.start, { actor, threadId, idempotencyKey: key });
  return r.source.sourceId;
}

async function uploadAll(t: ReturnType<typeof initConvexTest>, sourceId: string, chunks: ReturnType<typeof chunk>) {
  for (const [chunkIndex, c] of chunks.entries()) {
    await t.mutation(api.syncSources.append, { actor, sourceId, chunkIndex, payload: c.payload, sha256: c.sha256, recordCount: c.recordCount });
  }
}

const totals = (chunks: ReturnType<typeof chunk>) => ({
  totalChunks: chunks.length, totalRecords: chunks.reduce((n, c) => n + c.recordCount, 0),
  totalBytes: chunks.reduce((n, c) => n + c.bytes, 0), rootHash: rootHash(chunks.map((c) => c.sha256)),
});

async function snapshot(t: ReturnType<typeof initConvexTest>) {
  return await t.run(async (ctx) => {
    const out: Record<string, unknown[]> = {};
    for (const table of Object.keys(schema.tables)) out[table] = await ctx.db.query(table as any).collect();
    return out;
  });
}

describe("sync sources: the whole flow", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("start → append → seal → job ingests, verifies, succeeds; the binding is synced", async () => {
    const t = initConvexTest();
    const sourceId = await begin(t);
    const chunks = chunk(threadRecords("th", 30), 7);
    await uploadAll(t, sourceId, chunks);
    const sealed = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    expect(sealed.scheduled).toBe(true);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const got = await t.query(api.syncJobs.get, { actor, jobId: sealed.jobId });
    if (!got.found) throw new Error("job missing");
    expect(got.job).toMatchObject({ state: "succeeded", publicState: "synced", processedRecords: 120, verifiedRecords: 120, label: "120/120 synced" });
    expect(got.job.maxStepBytesRead).toBeLessThanOrEqual(2 * 1024 * 1024 + 512 * 1024);
    const conv = await t.query(api.conversations.get, { actor, conversationId: got.job.conversationId });
    expect(conv).toMatchObject({ found: true, conversation: { syncState: "synced", threadId: "th" } });
    const msgs = await t.query(api.messages.list, { actor, conversationId: got.job.conversationId, paginationOpts: { numItems: 100, cursor: null } });
    expect(msgs.page.length).toBe(60);
    expect(msgs.page.at(-1)).toMatchObject({ role: "user", text: "question 0" });
  });

  it("a chunk bigger than a step's record budget is ingested across steps, nothing twice", async () => {
    const t = initConvexTest();
    const sourceId = await begin(t);
    const chunks = chunk(threadRecords("th", 160), 4096); // 640 records in one chunk; a step applies at most 250
    expect(chunks).toHaveLength(1);
    await uploadAll(t, sourceId, chunks);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.syncJobs.get, { actor, jobId })).toMatchObject({ job: { state: "succeeded", processedRecords: 640, verifiedRecords: 640 } });
    const counts = await t.run(async (ctx) => [(await ctx.db.query("turns").collect()).length, (await ctx.db.query("messages").collect()).length]);
    expect(counts).toEqual([160, 320]);
  });

  it("a step rolled back as a whole is caught by its watchdog and retried with half the records per step", async () => {
    const t = initConvexTest();
    const sourceId = await begin(t);
    const chunks = chunk(threadRecords("th", 160), 4096); // one chunk of 640 records
    await uploadAll(t, sourceId, chunks);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    // The first step never commits (as when its transaction breaks a Convex limit): nothing records it.
    await t.run(async (ctx) => {
      for (const f of await ctx.db.system.query("_scheduled_functions").collect()) {
        if (f.name.includes("runStep") && f.state.kind === "pending") await ctx.scheduler.cancel(f._id);
      }
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const got = await t.query(api.syncJobs.get, { actor, jobId });
    expect(got).toMatchObject({ job: { state: "succeeded", processedRecords: 640, verifiedRecords: 640, attempts: 0 } });
    const job = await t.run(async (ctx) => await ctx.db.get("sync_jobs", jobId as Id<"sync_jobs">));
    expect(job?.stepRecords).toBe(STEP_RETRY_RECORDS);
    const counts = await t.run(async (ctx) => [(await ctx.db.query("turns").collect()).length, (await ctx.db.query("messages").collect()).length]);
    expect(counts).toEqual([160, 320]);
  });

  it("a step that is only late (Convex's scheduler lagging) spends no attempt and keeps its size", async () => {
    const t = initConvexTest();
    const sourceId = await begin(t);
    const chunks = chunk(threadRecords("th", 10), 40);
    await uploadAll(t, sourceId, chunks);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    const id = jobId as Id<"sync_jobs">;
    const step = await t.run(async (ctx) => (await ctx.db.system.query("_scheduled_functions").collect()).find((f) => f.name.includes("runStep") && f.state.kind === "pending")!);
    const job = (await t.run(async (ctx) => await ctx.db.get("sync_jobs", id)))!;
    // Its watchdog fires while the step is still pending: twice, as a long lag would make it.
    for (let i = 0; i < 2; i++) await t.mutation(internal.syncJobs.watchStep, { jobId: id, lease: job.lease, stepId: step._id });
    const after = (await t.run(async (ctx) => await ctx.db.get("sync_jobs", id)))!;
    expect(after).toMatchObject({ lease: job.lease, attempts: 0, state: job.state });
    expect(after.stepRecords).toBe(job.stepRecords);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.syncJobs.get, { actor, jobId })).toMatchObject({ job: { state: "succeeded", attempts: 0, processedRecords: 40 } });
  });

  it("steps lost again and again fail the job after the attempts run out; a watchdog of a moved lease does nothing", async () => {
    const t = initConvexTest();
    const sourceId = await begin(t);
    const chunks = chunk(threadRecords("th", 10), 40);
    await uploadAll(t, sourceId, chunks);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    const id = jobId as Id<"sync_jobs">;
    const lease = async () => (await t.run(async (ctx) => await ctx.db.get("sync_jobs", id)))!.lease;
    await t.mutation(internal.syncJobs.watchStep, { jobId: id, lease: 0 }); // an old lease: fenced off
    expect(await lease()).toBe(1);
    for (let i = 0; i < 8; i++) await t.mutation(internal.syncJobs.watchStep, { jobId: id, lease: await lease() });
    const job = (await t.run(async (ctx) => await ctx.db.get("sync_jobs", id)))!;
    expect(job).toMatchObject({ state: "failed", attempts: 8, lastError: { code: "E_SYNC_JOB_RETRIES_EXHAUSTED" } });
    expect(job.lastError?.message).toContain("did not finish");
    expect(job.stepRecords).toBe(1);
  });

  it("a key whose source expired starts one new source, which later reruns resume (newest source wins)", async () => {
    const t = initConvexTest();
    const first = await begin(t);
    await t.mutation(internal.syncSources.expire, { sourceId: first as Id<"sync_sources"> });
    const second = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k1" });
    expect(second).toMatchObject({ resumed: false });
    expect(second.source.sourceId).not.toBe(first);
    for (let i = 0; i < 2; i++) {
      const again = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k1" });
      expect(again).toMatchObject({ resumed: true, source: { sourceId: second.source.sourceId } });
    }
  });

  it("a key whose job failed starts a new source; a key whose job succeeded finds it", async () => {
    const t = initConvexTest();
    const sourceId = await begin(t);
    const chunks = chunk(threadRecords("th", 3), 12);
    await uploadAll(t, sourceId, chunks);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const done = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k1" });
    expect(done).toMatchObject({ resumed: true, source: { sourceId } });
    await t.run(async (ctx) => await ctx.db.patch("sync_jobs", jobId as Id<"sync_jobs">, { state: "failed" }));
    const fresh = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k1" });
    expect(fresh.resumed).toBe(false);
    expect(fresh.source.sourceId).not.toBe(sourceId);
  });

  it("sealing twice returns the same job; a restart with the same key finds the source and what it holds", async () => {
    const t = initConvexTest();
    const sourceId = await begin(t);
    const chunks = chunk(threadRecords("th", 4), 3);
    await t.mutation(api.syncSources.append, { actor, sourceId, chunkIndex: 0, payload: chunks[0].payload, sha256: chunks[0].sha256, recordCount: chunks[0].recordCount });
    const again = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k1" });
    expect(again.resumed).toBe(true);
    expect(again.source).toMatchObject({ sourceId, heldChunks: 1, state: "collecting" });
    const held = await t.query(api.syncSources.listChunks, { actor, sourceId });
    expect(held.chunks).toEqual([{ chunkIndex: 0, sha256: chunks[0].sha256, recordCount: chunks[0].recordCount, byteCount: chunks[0].bytes }]);
    await uploadAll(t, sourceId, chunks); // re-sending chunk 0 is a no-op
    const a = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    const b = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(chunks) });
    expect(b).toEqual({ jobId: a.jobId, scheduled: false });
  });

  it("a newer import cancels the older job with E_SYNC_JOB_CANCELLED_REPLACED", async () => {
    const t = initConvexTest();
    const s1 = await begin(t, "th", "k1");
    const c1 = chunk(threadRecords("th", 2), 4);
    await uploadAll(t, s1, c1);
    const j1 = await t.mutation(api.syncSources.seal, { actor, sourceId: s1, ...totals(c1) });
    const s2 = await begin(t, "th", "k2");
    await uploadAll(t, s2, c1);
    await t.mutation(api.syncSources.seal, { actor, sourceId: s2, ...totals(c1) });
    const old = await t.query(api.syncJobs.get, { actor, jobId: j1.jobId });
    expect(old).toMatchObject({ found: true, job: { state: "cancelled", publicState: "cancelled", lastError: { code: "E_SYNC_JOB_CANCELLED_REPLACED" } } });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const latest = await t.query(api.syncJobs.get, { actor, conversationId: (await t.query(api.syncJobs.get, { actor, jobId: j1.jobId }) as any).job.conversationId });
    expect(latest).toMatchObject({ found: true, job: { state: "succeeded" } });
  });

  it("cancel makes the binding drifted and fences off pending steps", async () => {
    const t = initConvexTest();
    const s = await begin(t);
    const c = chunk(threadRecords("th", 3), 2);
    await uploadAll(t, s, c);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId: s, ...totals(c) });
    const job = await t.mutation(api.syncJobs.cancel, { actor, jobId });
    expect(job.state).toBe("cancelled");
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.syncJobs.get, { actor, jobId })).toMatchObject({ job: { state: "cancelled", processedChunks: 0 } });
    expect(await t.query(api.conversations.get, { actor, conversationId: job.conversationId })).toMatchObject({ conversation: { syncState: "drifted" } });
    await expect(t.mutation(api.syncJobs.cancel, { actor, jobId })).rejects.toThrow(/E_SYNC_JOB_FINISHED/);
  });

  it("bad data found by the job fails it with that data's code; the step's writes are rolled back", async () => {
    const t = initConvexTest();
    const s = await begin(t);
    // valid shape, but the item's parts never join into JSON: only the job can find out
    const records = [
      { type: "turnStarted", threadId: "th", turnId: "t1", at },
      { type: "item", threadId: "th", turnId: "t1", itemId: "x", phase: "completed", itemType: "agentMessage", part: 0, partCount: 1, data: "{not json", at },
    ];
    const c = chunk(records, 10);
    await uploadAll(t, s, c);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId: s, ...totals(c) });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const got = await t.query(api.syncJobs.get, { actor, jobId });
    expect(got).toMatchObject({ found: true, job: { state: "failed", publicState: "failed", lastError: { code: "E_INGEST_BAD_ITEM_JSON" }, processedChunks: 0 } });
    const turns = await t.run(async (ctx) => await ctx.db.query("turns").collect());
    expect(turns).toEqual([]);
  });

  it("an unsealed source expires: failed, its chunks deleted", async () => {
    const t = initConvexTest();
    const { source } = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k", ttlMs: 5000 });
    const c = chunk(threadRecords("th", 1), 4);
    await uploadAll(t, source.sourceId, c);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const again = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k" });
    expect(again.resumed).toBe(false); // the expired source is failed: a new one starts
    const left = await t.run(async (ctx) => [await ctx.db.query("sync_chunks").collect(), await ctx.db.query("sync_chunk_payloads").collect()]);
    expect(left).toEqual([[], []]);
  });
});

describe("sync sources: bad input gets its code and changes nothing", () => {
  const good = chunk(threadRecords("th", 2), 4);
  type Case = [name: string, code: RegExp, run: (t: ReturnType<typeof initConvexTest>, sourceId: string) => Promise<unknown>];
  const append = (t: ReturnType<typeof initConvexTest>, sourceId: string, over: Record<string, unknown>) =>
    t.mutation(api.syncSources.append, { actor, sourceId, chunkIndex: 1, payload: good[0].payload, sha256: good[0].sha256, recordCount: good[0].recordCount, ...over } as any);
  const rec = (r: object) => { const p = JSON.stringify([r]); return { payload: p, sha256: sha256Hex(p), recordCount: 1 }; };
  const cases: Case[] = [
    ["gap at seal", /E_SYNC_SOURCE_CHUNK_INDEX_GAP/, (t, s) => t.mutation(api.syncSources.seal, { actor, sourceId: s, ...totals(good) })],
    ["conflict", /E_SYNC_SOURCE_CHUNK_CONFLICT/, (t, s) => append(t, s, { chunkIndex: 0, ...rec({ type: "turnStarted", threadId: "th", turnId: "other", at }) })],
    ["bad hash", /E_SYNC_CHUNK_HASH_MISMATCH/, (t, s) => append(t, s, { sha256: "a".repeat(64) })],
    ["malformed hash", /E_SYNC_CHUNK_BAD_HASH/, (t, s) => append(t, s, { sha256: "xyz" })],
    ["uppercase hash", /E_SYNC_CHUNK_BAD_HASH/, (t, s) => append(t, s, { sha256: good[0].sha256.toUpperCase() })],
    ["oversize", /E_SYNC_CHUNK_TOO_LARGE/, (t, s) => { const p = JSON.stringify(["x".repeat(600_000)]); return append(t, s, { payload: p, sha256: sha256Hex(p), recordCount: 1 }); }],
    ["negative index", /E_SYNC_CHUNK_BAD_INDEX/, (t, s) => append(t, s, { chunkIndex: -1 })],
    ["fractional index", /E_SYNC_CHUNK_BAD_INDEX/, (t, s) => append(t, s, { chunkIndex: 1.5 })],
    ["index too large", /E_SYNC_CHUNK_BAD_INDEX/, (t, s) => append(t, s, { chunkIndex: 10_000 })],
    ["not JSON", /E_SYNC_CHUNK_BAD_JSON/, (t, s) => append(t, s, { payload: "{nope", sha256: sha256Hex("{nope"), recordCount: 1 })],
    ["not an array", /E_SYNC_CHUNK_BAD_JSON/, (t, s) => append(t, s, { payload: "{}", sha256: sha256Hex("{}"), recordCount: 1 })],
    ["empty array", /E_SYNC_CHUNK_BAD_JSON/, (t, s) => append(t, s, { payload: "[]", sha256: sha256Hex("[]"), recordCount: 0 })],
    ["wrong record count", /E_SYNC_CHUNK_BAD_COUNT/, (t, s) => append(t, s, { recordCount: 99 })],
    ["malformed record", /E_SYNC_RECORD_INVALID/, (t, s) => append(t, s, rec({ type: "teleport", threadId: "th" }))],
    ["record missing a field", /E_SYNC_RECORD_INVALID/, (t, s) => append(t, s, rec({ type: "turnStarted", threadId: "th", at }))],
    ["record of another thread", /E_SYNC_RECORD_WRONG_THREAD/, (t, s) => append(t, s, rec({ type: "turnStarted", threadId: "other", turnId: "t", at }))],
    ["foreign source", /E_SYNC_SOURCE_NOT_FOUND/, (t, s) => t.mutation(api.syncSources.append, { actor: "issuer|bob", sourceId: s, chunkIndex: 1, payload: good[1].payload, sha256: good[1].sha256, recordCount: good[1].recordCount })],
    ["unknown source id", /E_SYNC_SOURCE_NOT_FOUND/, (t) => append(t, "garbage-id", {})],
    ["wrong totals", /E_SYNC_SEAL_TOTALS_MISMATCH/, (t, s) => t.mutation(api.syncSources.seal, { actor, sourceId: s, ...totals(good.slice(0, 1)), totalRecords: 1 })],
    ["hole in the middle", /E_SYNC_SOURCE_CHUNK_INDEX_GAP/, async (t, s) => t.mutation(api.syncSources.seal, { actor, sourceId: s, ...totals(good), totalChunks: 3 })],
    ["wrong root hash", /E_SYNC_ROOT_HASH_MISMATCH|E_SYNC_SOURCE_CHUNK_INDEX_GAP/, (t, s) => t.mutation(api.syncSources.seal, { actor, sourceId: s, ...totals(good.slice(0, 1)), rootHash: "b".repeat(64) })],
    ["key reused for another thread", /E_SYNC_KEY_REUSED/, (t) => t.mutation(api.syncSources.start, { actor, threadId: "other-thread", idempotencyKey: "k1" })],
    ["bad ttl", /E_SYNC_BAD_TTL/, (t) => t.mutation(api.syncSources.start, { actor, threadId: "th2", idempotencyKey: "k9", ttlMs: 1 })],
    ["empty key", /E_SYNC_BAD_KEY/, (t) => t.mutation(api.syncSources.start, { actor, threadId: "th2", idempotencyKey: "" })],
    ["empty actor", /E_AUTH_REQUIRED/, (t, s) => t.mutation(api.syncSources.append, { actor: "", sourceId: s, chunkIndex: 1, payload: good[1].payload, sha256: good[1].sha256, recordCount: good[1].recordCount })],
    ["job of another user", /E_SYNC_JOB_NOT_FOUND/, (t) => t.mutation(api.syncJobs.cancel, { actor, jobId: "not-a-job" })],
  ];
  for (const [name, code, run] of cases) {
    it(name, async () => {
      const t = initConvexTest();
      const sourceId = await begin(t);
      await t.mutation(api.syncSources.append, { actor, sourceId, chunkIndex: 0, payload: good[0].payload, sha256: good[0].sha256, recordCount: good[0].recordCount });
      const before = await snapshot(t);
      await expect(run(t, sourceId)).rejects.toThrow(code);
      expect(await snapshot(t)).toEqual(before);
    });
  }

  it("sealing again with other totals is refused; a job query needs exactly one key", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    const sourceId = await begin(t);
    await uploadAll(t, sourceId, good);
    await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(good) });
    await expect(t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(good), rootHash: "c".repeat(64) })).rejects.toThrow(/E_SYNC_SOURCE_SEALED/);
    await expect(t.query(api.syncJobs.get, { actor })).rejects.toThrow(/E_SYNC_BAD_QUERY/);
    vi.useRealTimers();
  });

  it("a chunk gone from storage fails the job with E_SYNC_CHUNK_MISSING", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    const sourceId = await begin(t);
    await uploadAll(t, sourceId, good);
    const { jobId } = await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(good) });
    await t.run(async (ctx) => {
      const p = await ctx.db.query("sync_chunk_payloads").first();
      await ctx.db.delete("sync_chunk_payloads", p!._id);
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.syncJobs.get, { actor, jobId })).toMatchObject({ job: { state: "failed", lastError: { code: "E_SYNC_CHUNK_MISSING" } } });
    vi.useRealTimers();
  });

  it("append after seal is refused", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    const sourceId = await begin(t);
    await uploadAll(t, sourceId, good);
    await t.mutation(api.syncSources.seal, { actor, sourceId, ...totals(good) });
    await expect(append(t, sourceId, { chunkIndex: 2 })).rejects.toThrow(/E_SYNC_SOURCE_NOT_COLLECTING/);
    vi.useRealTimers();
  });
});
