import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "./_generated/api.js";
import { convexTest } from "convex-test";
import { initConvexTest, modules } from "../testing/component.js";
import schema from "./schema.js";
import { threadJson as threadJsonAt } from "../testing/records.js";
import { rootHash, sha256Hex } from "./hashing.js";
import type { Id } from "./_generated/dataModel.js";
import { CLEANUP_STALLED_MS } from "./replace.js";

const alice = "issuer|alice";
const bob = "issuer|bob"; // imports the new version fresh: what readers must see after the swap
const at = 1_700_000_000_000;
type T = ReturnType<typeof initConvexTest>;
const threadJson = (threadId: string, json: string, partChars?: number) => threadJsonAt(threadId, json, at, partChars);

/** A turn's records as an import sends them: its JSON, two items (a message and a command), usage, a digest. */
function turn(threadId: string, i: number, text = `answer ${i}`) {
  const turnId = `turn-${i}`;
  const json = JSON.stringify({ id: turnId, status: "completed", error: null });
  return [
    { type: "turnStarted", threadId, turnId, json, at },
    { type: "item", threadId, turnId, itemId: `m${i}`, phase: "completed", itemType: "agentMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "agentMessage", id: `m${i}`, text }), at },
    { type: "item", threadId, turnId, itemId: `c${i}`, phase: "completed", itemType: "commandExecution", part: 0, partCount: 1, data: JSON.stringify({ type: "commandExecution", id: `c${i}`, command: `echo ${text}`, aggregatedOutput: text, status: "completed" }), at },
    { type: "tokenUsage", threadId, turnId, totalTokens: 10 * i + text.length, inputTokens: i, cachedInputTokens: 0, outputTokens: text.length, reasoningOutputTokens: 0, lastTotalTokens: i, at: at + i },
    { type: "turnCompleted", threadId, turnId, status: "completed", json, digest: sha256Hex(`${turnId}:${text}`), at },
  ];
}

/** Upload and seal an import (chunks of `perChunk` records); its job's steps are left to the caller. */
async function seal(t: T, actor: string, threadId: string, key: string, records: object[], base?: { keepTurns: number; prefixHash?: string }, perChunk = 200) {
  const { source } = await t.mutation(api.syncSources.start, { actor, threadId, idempotencyKey: key });
  const hashes = [];
  let bytes = 0;
  for (let i = 0, c = 0; i < records.length; i += perChunk, c++) {
    const rs = records.slice(i, i + perChunk);
    const payload = JSON.stringify(rs);
    const sha = sha256Hex(payload);
    hashes.push(sha);
    bytes += new TextEncoder().encode(payload).length;
    await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex: c, payload, sha256: sha, recordCount: rs.length });
  }
  const sealed = await t.mutation(api.syncSources.seal, { actor, sourceId: source.sourceId, totalChunks: hashes.length, totalRecords: records.length, totalBytes: bytes, rootHash: rootHash(hashes), base });
  return { jobId: sealed.jobId as string, conversationId: source.conversationId };
}

async function runAll(t: T) {
  await t.finishAllScheduledFunctions(vi.runAllTimers);
}

const page = { numItems: 500, cursor: null };

/** Every public read of the thread, as a user's client makes them (ids and times left out: the two imports differ there). */
async function snapshot(t: T, actor: string, threadId: string, conversationId: string, turnIds: string[]) {
  const turns = (await t.query(api.messages.listTurns, { actor, threadId, paginationOpts: page })).page;
  const detail = [];
  for (const turnId of turnIds) detail.push(await t.query(api.messages.getTurn, { actor, threadId, turnId }));
  const messages = (await t.query(api.messages.list, { actor, conversationId, paginationOpts: page })).page.map(({ createdAt, updatedAt, ...m }) => m);
  const texts = [];
  for (const m of messages) texts.push(await t.query(api.messages.getMessageText, { actor, threadId, turnId: m.turnId, itemId: m.itemId }));
  const sync = await t.query(api.threadState.getThreadSyncState, { actor, threadId, atTurns: 3 });
  const json = await t.query(api.threadState.getThreadJson, { actor, threadId });
  const { conversation: _c, host: _h, ...summary } = (await t.query(api.conversations.summary, { actor, conversationId })) as any;
  const usage = await t.query(api.tokenUsage.get, { actor, conversationId });
  const view = await t.query(api.views.conversationView, { actor, conversationId });
  const viewMessages = view.found ? view.messages.map(({ createdAt, updatedAt, ...m }) => m) : null;
  const { conversationId: _id, ...syncState } = sync as any;
  const items = [];
  for (const turnId of turnIds) {
    for (const itemId of [`m${turnId.slice(5)}`, `c${turnId.slice(5)}`]) items.push(await t.query(api.messages.getItemJson, { actor, threadId, turnId, itemId }));
  }
  return {
    turns, detail, messages, texts, syncState, json, summary, items,
    usage: { latest: usage.latest && { ...usage.latest, updatedAt: 0 }, recent: usage.recent.map((u) => ({ ...u, updatedAt: 0 })) },
    viewMessages,
  };
}

describe("a replace larger than one step is atomic for readers (#19)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("every public read at every step boundary shows the old version until the swap and the new one after", async () => {
    const t = initConvexTest();
    const oldTurns = [];
    for (let i = 0; i < 140; i++) oldTurns.push(...turn("th", i));
    const oldJson = JSON.stringify({ id: "th", preview: "old".repeat(3000), name: "old" });
    await seal(t, alice, "th", "a", [...threadJson("th", oldJson, 2000), ...oldTurns]);
    await runAll(t);
    // The new version keeps turns 0..19, rewrites 20..29 (same ids, other text) and drops the rest (a rollback).
    const keep = 20;
    const newTurns = [];
    for (let i = keep; i < 30; i++) newTurns.push(...turn("th", i, `rewritten ${i}`));
    const newJson = JSON.stringify({ id: "th", preview: "new", name: "new" });
    const fresh = [...threadJson("th", newJson), ...oldTurns.slice(0, keep * 5), ...newTurns];
    const b = await seal(t, bob, "th", "fresh", fresh);
    await runAll(t);
    const ids = Array.from({ length: 140 }, (_, i) => `turn-${i}`);
    const after = await snapshot(t, bob, "th", b.conversationId, ids);

    const state = await t.query(api.threadState.getThreadSyncState, { actor: alice, threadId: "th", atTurns: keep });
    if (!state.found) throw new Error("no thread");
    const conv = state.conversationId;
    const before = await snapshot(t, alice, "th", conv, ids);
    expect(before).not.toEqual(after);
    const { jobId } = await seal(t, alice, "th", "b", [...threadJson("th", newJson), ...newTurns], { keepTurns: keep, prefixHash: state.chainAt! }, 10);
    // Make each ingest step small, so the staged rows land over several steps too.
    await t.run(async (ctx) => await ctx.db.patch("sync_jobs", jobId as Id<"sync_jobs">, { stepRecords: 12 }));

    const seen: string[] = [];
    const settled = async () => await t.run(async (ctx) => {
      const th = await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", alice).eq("threadId", "th")).unique();
      const j = await ctx.db.get("sync_jobs", jobId as Id<"sync_jobs">);
      return th!.replace === undefined && j!.state === "succeeded";
    });
    for (let n = 0; n < 100 && !(await settled()); n++) {
      vi.advanceTimersToNextTimer();
      await t.finishInProgressScheduledFunctions();
      const now = await snapshot(t, alice, "th", conv, ids);
      const which = JSON.stringify(now) === JSON.stringify(before) ? "old" : JSON.stringify(now) === JSON.stringify(after) ? "new" : "mixed";
      if (which === "mixed") expect(now).toEqual(after); // shows the difference
      if (seen[seen.length - 1] !== which) seen.push(which);
    }
    expect(seen).toEqual(["old", "new"]);
    const job = await t.query(api.syncJobs.get, { actor: alice, jobId });
    expect(job.found && job.job.publicState).toBe("synced");
    const row = await t.run(async (ctx) => await ctx.db.get("sync_jobs", jobId as Id<"sync_jobs">));
    expect(row!.lease).toBeGreaterThan(4); // it did take several steps (retire and ingest)
    // Cleaned up: no tag is left, the thread is unmarked, and a live write goes in again.
    const tagged = await t.run(async (ctx) => {
      let n = 0;
      for (const table of ["turns", "items", "item_parts", "messages", "message_segments", "token_usage", "thread_parts"] as const) {
        for (const r of await ctx.db.query(table).collect()) if ((r as any).stagedBy !== undefined || (r as any).retiredBy !== undefined) n++;
      }
      const th = await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", alice).eq("threadId", "th")).unique();
      return { n, replace: th!.replace ?? null };
    });
    expect(tagged).toEqual({ n: 0, replace: null });
    expect(await snapshot(t, alice, "th", conv, ids)).toEqual(after);
  }, 120_000);

  it("a replace that stops before its swap (cancelled by a newer import) leaves the old version, then the newer one lands", async () => {
    const t = initConvexTest();
    const oldTurns = [];
    for (let i = 0; i < 260; i++) oldTurns.push(...turn("th", i));
    const { conversationId: conv } = await seal(t, alice, "th", "a", oldTurns);
    await runAll(t);
    const ids = [0, 1, 2, 150, 199, 200, 201, 258, 259].map((i) => `turn-${i}`); // turns either side of a step's cut
    const before = await snapshot(t, alice, "th", conv, ids);
    const { jobId } = await seal(t, alice, "th", "b", turn("th", 0, "never shown"), { keepTurns: 0, prefixHash: "" });
    // its first step: the thread marked and the first turns' rows retired (not all: a step visits ≤ 250 turns)
    vi.advanceTimersToNextTimer();
    await t.finishInProgressScheduledFunctions();
    const marked = await t.run(async (ctx) => (await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", alice).eq("threadId", "th")).unique())!.replace);
    expect(marked).toMatchObject({ jobId, swapped: false });
    expect(await snapshot(t, alice, "th", conv, ids)).toEqual(before);
    // live writes wait while the thread is being replaced
    await expect(t.mutation(api.ingest.ingestBatch, {
      actor: alice, conversationId: conv, streamId: "live", seq: 0,
      events: [{ type: "turnStarted", threadId: "th", turnId: "live-1", at }],
    })).rejects.toThrow(/E_SYNC_REPLACING/);
    await expect(t.mutation(api.turns.deleteCascade, { actor: alice, threadId: "th", turnId: "turn-5" })).rejects.toThrow(/E_SYNC_REPLACING/);
    // a newer import (the whole thread again, with one more turn) cancels it: its marks are undone, then it runs
    const again = [...oldTurns, ...turn("th", 260)];
    const newer = await seal(t, alice, "th", "c", again);
    await runAll(t);
    const cancelled = await t.query(api.syncJobs.get, { actor: alice, jobId });
    expect(cancelled.found && cancelled.job.publicState).toBe("cancelled");
    const done = await t.query(api.syncJobs.get, { actor: alice, jobId: newer.jobId });
    expect(done.found && done.job.publicState).toBe("synced");
    const s = await t.query(api.threadState.getThreadSyncState, { actor: alice, threadId: "th" });
    expect(s).toMatchObject({ turnCount: 261, syncedTurns: 261 });
    const last = await t.query(api.messages.getTurn, { actor: alice, threadId: "th", turnId: "turn-260" });
    expect(last.found && last.turn.ordinal).toBe(260);
    expect(await snapshot(t, alice, "th", conv, ids)).toMatchObject({ turns: before.turns, detail: before.detail });
    const t0 = await t.query(api.messages.getTurn, { actor: alice, threadId: "th", turnId: "turn-0" });
    expect(t0.found && JSON.parse(t0.items.find((i) => i.itemId === "m0")!.json!).text).toBe("answer 0");
    const left = await t.run(async (ctx) => (await ctx.db.query("turns").collect()).filter((r) => r.stagedBy !== undefined || r.retiredBy !== undefined).length);
    expect(left).toBe(0);
  }, 60_000);

  it("replaces turns whose rows are at their largest (a step lists as many as its byte budget holds)", async () => {
    const t = convexTest({ schema, modules, transactionLimits: true }); // Convex's limits enforced
    const huge = (i: number) => {
      const turnId = `turn-${i}`;
      const json = JSON.stringify({ id: turnId, status: "failed", error: { message: "€".repeat(60_000) } });
      return [{ type: "turnStarted", threadId: "th", turnId, json, at }, { type: "turnCompleted", threadId: "th", turnId, status: "failed", json, error: { message: "€".repeat(8192) }, at }];
    };
    const old = [];
    for (let i = 0; i < 100; i++) old.push(...huge(i)); // ~20 MB of turn rows: more than one transaction may read
    await seal(t, alice, "th", "a", old, undefined, 1);
    await runAll(t);
    const { jobId } = await seal(t, alice, "th", "b", turn("th", 0, "small again"), { keepTurns: 0, prefixHash: "" });
    await runAll(t);
    const job = await t.query(api.syncJobs.get, { actor: alice, jobId });
    expect(job.found && job.job.publicState).toBe("synced");
    const turns = (await t.query(api.messages.listTurns, { actor: alice, threadId: "th", paginationOpts: page })).page;
    expect(turns.map((x) => [x.turnId, x.status])).toEqual([["turn-0", "completed"]]);
    const left = await t.run(async (ctx) => (await ctx.db.query("turns").collect()).length);
    expect(left).toBe(1);
  }, 60_000);

  it("a clean-up whose scheduled step was lost is started again by the thread's next sync job", async () => {
    const t = initConvexTest();
    const oldTurns = [];
    for (let i = 0; i < 140; i++) oldTurns.push(...turn("th", i));
    const { conversationId: conv } = await seal(t, alice, "th", "a", oldTurns);
    await runAll(t);
    await seal(t, alice, "th", "b", turn("th", 0, "new"), { keepTurns: 0, prefixHash: "" });
    const marker = async () => await t.run(async (ctx) => (await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", alice).eq("threadId", "th")).unique())!.replace ?? null);
    for (let n = 0; n < 50 && !(await marker())?.swapped; n++) {
      vi.advanceTimersToNextTimer();
      await t.finishInProgressScheduledFunctions();
    }
    expect((await marker())?.swapped).toBe(true);
    // the clean-up's scheduled step is lost
    await t.run(async (ctx) => {
      for (const f of await ctx.db.system.query("_scheduled_functions").collect()) {
        if (f.state.kind === "pending" && f.name.includes("cleanUp")) await ctx.scheduler.cancel(f._id);
      }
    });
    await runAll(t);
    expect(await marker()).toMatchObject({ swapped: true }); // stuck: readers see the new version, writes wait
    await expect(t.mutation(api.ingest.ingestBatch, {
      actor: alice, conversationId: conv, streamId: "live", seq: 0, events: [{ type: "turnStarted", threadId: "th", turnId: "live-1", at }],
    })).rejects.toThrow(/E_SYNC_REPLACING/);
    vi.advanceTimersByTime(CLEANUP_STALLED_MS);
    const next = await seal(t, alice, "th", "c", [...turn("th", 0, "new"), ...turn("th", 1)]);
    await runAll(t);
    expect(await marker()).toBeNull();
    const job = await t.query(api.syncJobs.get, { actor: alice, jobId: next.jobId });
    expect(job.found && job.job.publicState).toBe("synced");
    const s = await t.query(api.threadState.getThreadSyncState, { actor: alice, threadId: "th" });
    expect(s).toMatchObject({ turnCount: 2, syncedTurns: 2 });
  }, 60_000);

  it("refuses a record that changes a turn the base keeps (E_SYNC_BASE_OVERLAP), and readers keep the old version", async () => {
    const t = initConvexTest();
    const { conversationId: conv } = await seal(t, alice, "th", "a", [...turn("th", 0), ...turn("th", 1), ...turn("th", 2)]);
    await runAll(t);
    const ids = ["turn-0", "turn-1", "turn-2"];
    const before = await snapshot(t, alice, "th", conv, ids);
    const s = await t.query(api.threadState.getThreadSyncState, { actor: alice, threadId: "th", atTurns: 2 });
    const { jobId } = await seal(t, alice, "th", "b", [...turn("th", 2, "new"), ...turn("th", 0, "changed")], { keepTurns: 2, prefixHash: s.found ? s.chainAt! : "" });
    await runAll(t);
    const job = await t.query(api.syncJobs.get, { actor: alice, jobId });
    expect(job.found && job.job.lastError?.code).toBe("E_SYNC_BASE_OVERLAP");
    expect(await snapshot(t, alice, "th", conv, ids)).toEqual(before);
  });
});
