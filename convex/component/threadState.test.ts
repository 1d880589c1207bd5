import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest } from "../testing/component.js";
import { threadJson as threadJsonAt } from "../testing/records.js";
import { rootHash, sha256Hex } from "./hashing.js";
import type { Id } from "./_generated/dataModel.js";

const actor = "issuer|alice";
const at = 1_700_000_000_000;
type T = ReturnType<typeof initConvexTest>;
const threadJson = (threadId: string, json: string, partChars?: number) => threadJsonAt(threadId, json, at, partChars);

/** A turn's records as an import sends them: its own JSON, its items, its digest (here: of its id and text). */
function turn(threadId: string, i: number, text = `answer ${i}`) {
  const turnId = `turn-${i}`;
  const json = JSON.stringify({ id: turnId, status: "completed", error: null, startedAt: i, completedAt: i + 1, durationMs: 7 });
  return [
    { type: "turnStarted", threadId, turnId, json, at },
    { type: "item", threadId, turnId, itemId: `m${i}`, phase: "completed", itemType: "agentMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "agentMessage", id: `m${i}`, text }), at },
    { type: "turnCompleted", threadId, turnId, status: "completed", json, digest: sha256Hex(`${turnId}:${text}`), at },
  ];
}

async function sync(t: T, threadId: string, key: string, records: object[], base?: { keepTurns: number; prefixHash?: string }) {
  const { source } = await t.mutation(api.syncSources.start, { actor, threadId, idempotencyKey: key });
  const payload = JSON.stringify(records);
  const sha = sha256Hex(payload);
  await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex: 0, payload, sha256: sha, recordCount: records.length });
  const sealed = await t.mutation(api.syncSources.seal, {
    actor, sourceId: source.sourceId, totalChunks: 1, totalRecords: records.length,
    totalBytes: new TextEncoder().encode(payload).length, rootHash: rootHash([sha]), base,
  });
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  const job = await t.query(api.syncJobs.get, { actor, jobId: sealed.jobId });
  if (!job.found) throw new Error("no job");
  return job.job;
}

const state = async (t: T, threadId: string, atTurns?: number) => {
  const s = await t.query(api.threadState.getThreadSyncState, { actor, threadId, atTurns });
  if (!s.found) throw new Error("no thread");
  return s;
};
const turnIds = async (t: T, threadId: string) =>
  (await t.query(api.messages.listTurns, { actor, threadId, paginationOpts: { numItems: 100, cursor: null } })).page.map((x) => [x.turnId, x.ordinal]);

describe("lossless threads and incremental sync", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("keeps the thread's own JSON in parts (checked by its hash) and each turn's own JSON", async () => {
    const t = initConvexTest();
    const json = JSON.stringify({ id: "th", preview: "p".repeat(5000), cliVersion: "0.163.0" });
    const job = await sync(t, "th", "a", [...threadJson("th", json, 2048), ...turn("th", 0)]);
    expect(job.publicState).toBe("synced");
    const got = await t.query(api.threadState.getThreadJson, { actor, threadId: "th" });
    expect(got).toMatchObject({ found: true, data: json, partCount: 3, complete: true, nextPart: null, sha256: sha256Hex(json) });
    const turns = await t.query(api.messages.listTurns, { actor, threadId: "th", paginationOpts: { numItems: 10, cursor: null } });
    expect(JSON.parse(turns.page[0].json!)).toMatchObject({ id: "turn-0", durationMs: 7 });
    // a shorter new version replaces the old one whole
    const t2 = JSON.stringify({ id: "th", preview: "short" });
    await sync(t, "th", "b", threadJson("th", t2));
    expect(await t.query(api.threadState.getThreadJson, { actor, threadId: "th" })).toMatchObject({ data: t2, partCount: 1, complete: true });
  });

  it("refuses thread JSON whose parts do not match their hash, and stores nothing of the batch", async () => {
    const t = initConvexTest();
    const bad = threadJson("th", "{\"id\":\"th\"}").map((e) => ({ ...e, sha256: sha256Hex("other") }));
    const job = await sync(t, "th", "a", [...turn("th", 0), ...bad]);
    expect(job.publicState).toBe("failed");
    expect(job.lastError?.code).toBe("E_INGEST_HASH_MISMATCH");
    expect(await turnIds(t, "th")).toEqual([]); // the step's records rolled back with it
    expect((await t.query(api.threadState.getThreadJson, { actor, threadId: "th" })).found).toBe(false);
  });

  it("chains turn digests into a prefix hash, readable after any turn", async () => {
    const t = initConvexTest();
    await sync(t, "th", "a", [...turn("th", 0), ...turn("th", 1), ...turn("th", 2)]);
    const s = await state(t, "th", 1);
    const d = (i: number) => sha256Hex(`turn-${i}:answer ${i}`);
    const c1 = sha256Hex("" + d(0));
    const c3 = sha256Hex(sha256Hex(c1 + d(1)) + d(2));
    expect(s).toMatchObject({ turnCount: 3, syncedTurns: 3, prefixHash: c3, chainAt: c1 });
    expect((await state(t, "th", 0)).chainAt).toBe("");
    expect((await state(t, "th", 4)).chainAt).toBeNull();
  });

  it("appends after the base: the turns before it are untouched, the new ones chain on", async () => {
    const t = initConvexTest();
    await sync(t, "th", "a", [...turn("th", 0), ...turn("th", 1)]);
    const before = await state(t, "th");
    const job = await sync(t, "th", "b", turn("th", 2), { keepTurns: 2, prefixHash: before.prefixHash });
    expect(job).toMatchObject({ publicState: "synced", totalRecords: 3 });
    expect(await turnIds(t, "th")).toEqual([["turn-0", 0], ["turn-1", 1], ["turn-2", 2]]);
    expect((await state(t, "th")).syncedTurns).toBe(3);
  });

  it("replaces the turns past the base (a rollback, a rewrite), and the chain ends where they changed", async () => {
    const t = initConvexTest();
    await sync(t, "th", "a", [...turn("th", 0), ...turn("th", 1), ...turn("th", 2)]);
    const c1 = (await state(t, "th", 1)).chainAt!;
    const job = await sync(t, "th", "b", turn("th", 1, "rewritten"), { keepTurns: 1, prefixHash: c1 });
    expect(job.publicState).toBe("synced");
    // removed and re-ingested in one step, one transaction: readers saw the old turns until it committed
    const row = await t.run(async (ctx) => await ctx.db.get("sync_jobs", job.jobId as Id<"sync_jobs">));
    expect(row!.lease).toBe(2);
    expect(await turnIds(t, "th")).toEqual([["turn-0", 0], ["turn-1", 1]]);
    const turn1 = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "turn-1" });
    if (!turn1.found) throw new Error("turn-1 missing");
    expect(JSON.parse(turn1.items[0].json!).text).toBe("rewritten");
    const gone = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "turn-2" });
    expect(gone.found).toBe(false);
    const summary = await state(t, "th");
    expect(summary).toMatchObject({ turnCount: 2, syncedTurns: 2 });
    const msgs = await t.query(api.messages.list, { actor, conversationId: summary.conversationId, paginationOpts: { numItems: 10, cursor: null } });
    expect(msgs.page.map((m) => m.text).sort()).toEqual(["answer 0", "rewritten"]);
  });

  it("refuses a base the thread no longer starts with (seal: E_SYNC_BASE_CHANGED), changing nothing", async () => {
    const t = initConvexTest();
    await sync(t, "th", "a", [...turn("th", 0), ...turn("th", 1)]);
    const { source } = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "b" });
    const payload = JSON.stringify(turn("th", 2));
    const sha = sha256Hex(payload);
    await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex: 0, payload, sha256: sha, recordCount: 3 });
    await expect(t.mutation(api.syncSources.seal, {
      actor, sourceId: source.sourceId, totalChunks: 1, totalRecords: 3, totalBytes: new TextEncoder().encode(payload).length,
      rootHash: rootHash([sha]), base: { keepTurns: 2, prefixHash: "0".repeat(64) },
    })).rejects.toThrow(/E_SYNC_BASE_CHANGED/);
    expect(await turnIds(t, "th")).toEqual([["turn-0", 0], ["turn-1", 1]]);
  });

  it("a replace of many rows takes several bounded steps and still ends at the base", async () => {
    const t = initConvexTest();
    const many = [];
    for (let i = 0; i < 300; i++) many.push(...turn("th", i)); // 300 turns to retire: more than one step's 250
    await sync(t, "th", "a", many);
    const job = await sync(t, "th", "b", turn("th", 0, "again"), { keepTurns: 0, prefixHash: "" });
    expect(job.publicState).toBe("synced");
    const row = await t.run(async (ctx) => await ctx.db.get("sync_jobs", job.jobId as Id<"sync_jobs">));
    expect(row!.lease).toBeGreaterThan(2); // more than one step
    expect(await turnIds(t, "th")).toEqual([["turn-0", 0]]);
    expect(await state(t, "th")).toMatchObject({ turnCount: 1, syncedTurns: 1 });
  }, 30_000);
});
