import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import schema from "./schema.js";
import { initConvexTest } from "../testing/component.js";
import { ACTOR_INDEX, NOT_THREAD_SCOPED, plan, tablesOf } from "./deletionPlan.js";
import { rootHash, sha256Hex } from "./hashing.js";

const alice = "issuer|alice";
const bob = "issuer|bob";
const at = 1_700_000_000_000;
const TABLES = Object.keys(schema.tables);

function turnEvents(threadId: string, turnId: string) {
  return [
    { type: "turnStarted", threadId, turnId, at },
    { type: "item", threadId, turnId, itemId: "u", phase: "completed", itemType: "userMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "userMessage", id: "u", content: [{ type: "text", text: "hi" }] }), at },
    { type: "item", threadId, turnId, itemId: "m", phase: "started", itemType: "agentMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "agentMessage", id: "m", text: "" }), at },
    { type: "messageDelta", threadId, turnId, itemId: "m", firstDelta: 0, deltaCount: 1, text: "hello", at },
    { type: "serverRequest", threadId, turnId, requestId: "0", method: "item/commandExecution/requestApproval", paramsJson: "{}", at },
    { type: "tokenUsage", threadId, turnId, totalTokens: 5, inputTokens: 1, cachedInputTokens: 0, outputTokens: 4, reasoningOutputTokens: 0, lastTotalTokens: 5, at },
    { type: "lifecycle", threadId, turnId, kind: "error", message: "x", at },
  ] as const;
}

async function world(t: ReturnType<typeof initConvexTest>) {
  const fill = async (actor: string, threadId: string) => {
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId });
    const events = [...turnEvents(threadId, "t1"), ...turnEvents(threadId, "t2")];
    await t.mutation(api.ingest.ingestBatch, { actor, conversationId: conversation.conversationId, streamId: "s", seq: 0, events: events as any });
    const { source } = await t.mutation(api.syncSources.start, { actor, threadId, idempotencyKey: `k-${threadId}` });
    const payload = JSON.stringify([{ type: "turnStarted", threadId, turnId: "t3", at }]);
    await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex: 0, payload, sha256: sha256Hex(payload), recordCount: 1 });
    await t.mutation(api.syncSources.seal, { actor, sourceId: source.sourceId, totalChunks: 1, totalRecords: 1, totalBytes: payload.length, rootHash: rootHash([sha256Hex(payload)]) });
    await t.mutation(api.diagnostics.recordPing, { actor, nonce: threadId, delayMs: 0 });
    return conversation.conversationId;
  };
  const convA = await fill(alice, "thA");
  const convB = await fill(alice, "thB");
  const convBob = await fill(bob, "thA");
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  return { convA, convB, convBob };
}

async function rows(t: ReturnType<typeof initConvexTest>) {
  return await t.run(async (ctx) => {
    const out: Record<string, Array<Record<string, unknown>>> = {};
    for (const table of TABLES) out[table] = await ctx.db.query(table as any).collect();
    return out;
  });
}

const owned = (all: Record<string, Array<Record<string, unknown>>>, pred: (r: Record<string, unknown>, table: string) => boolean) =>
  Object.fromEntries(Object.entries(all).map(([table, rs]) => [table, rs.filter((r) => pred(r, table)).length]));

describe("deletion plans cover every table", () => {
  it("the actor purge has an index for every table", () => {
    expect(Object.keys(ACTOR_INDEX).sort()).toEqual([...TABLES].sort());
  });
  it("the thread plan reaches every table, or says why not", () => {
    const fakeConv = { _id: "c" } as any;
    const covered = tablesOf(plan({ kind: "thread", threadId: "x" }, fakeConv));
    for (const table of TABLES) expect(covered.has(table) || table in NOT_THREAD_SCOPED, table).toBe(true);
  });
});

describe("deletion jobs", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("deleteThread leaves no row of the thread or its conversation, and everything else intact", async () => {
    const t = initConvexTest();
    const { convA } = await world(t);
    const before = await rows(t);
    const job = await t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "thA", batchSize: 7 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const after = await rows(t);
    const isTarget = (r: Record<string, unknown>, table: string) => r.actor === alice && (r.threadId === "thA" || r.conversationId === convA || (table === "conversations" && r._id === convA));
    expect(Object.values(owned(after, isTarget)).reduce((a, b) => a + b, 0)).toBe(0);
    const others = (r: Record<string, unknown>, table: string) => !isTarget(r, table) && table !== "deletion_jobs" && !(table === "sync_chunks" || table === "sync_chunk_payloads");
    expect(owned(after, others)).toEqual(owned(before, others));
    const status = await t.query(api.threads.getDeletionJobStatus, { actor: alice, jobId: job.jobId });
    if (!status.found) throw new Error("missing");
    expect(status.job.phase).toBe("completed");
    expect(status.job.counts.messages).toBe(4);
    expect(status.job.counts.conversations).toBe(1);
    expect(status.job.deleted).toBeGreaterThan(20);
  });

  it("a step rolled back as a whole is caught by its watchdog and retried with half the batch", async () => {
    const t = initConvexTest();
    const { convA } = await world(t);
    const job = await t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "thA", batchSize: 8 });
    // The first step never commits (as when its transaction breaks a Convex limit): nothing records it.
    await t.run(async (ctx) => {
      for (const f of await ctx.db.system.query("_scheduled_functions").collect()) {
        if (f.name.includes("deletion") && f.name.includes("runStep") && f.state.kind === "pending") await ctx.scheduler.cancel(f._id);
      }
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const stored = await t.run(async (ctx) => await ctx.db.get("deletion_jobs", job.jobId as any));
    expect(stored).toMatchObject({ phase: "completed", batchSize: 4, attempts: 0 });
    const after = await rows(t);
    expect(after.conversations.filter((c) => c._id === convA)).toHaveLength(0);
  });

  it("a step that is only late (Convex's scheduler lagging) spends no attempt and keeps its batch", async () => {
    const t = initConvexTest();
    await world(t);
    const job = await t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "thA", batchSize: 8 });
    const id = job.jobId as any;
    const step = await t.run(async (ctx) => (await ctx.db.system.query("_scheduled_functions").collect()).find((f) => f.name.includes("deletion") && f.name.includes("runStep") && f.state.kind === "pending")!);
    const before = (await t.run(async (ctx) => await ctx.db.get("deletion_jobs", id))) as any;
    for (let i = 0; i < 2; i++) await t.mutation(internal.deletion.watchStep, { jobId: id, lease: before.lease, stepId: step._id });
    const after = (await t.run(async (ctx) => await ctx.db.get("deletion_jobs", id))) as any;
    expect(after).toMatchObject({ lease: before.lease, batchSize: 8 });
    expect(after.attempts ?? 0).toBe(0);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.run(async (ctx) => await ctx.db.get("deletion_jobs", id))).toMatchObject({ phase: "completed", batchSize: 8, attempts: 0 });
  });

  it("steps lost again and again fail the deletion after the attempts run out", async () => {
    const t = initConvexTest();
    await world(t);
    const job = await t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "thA", batchSize: 8 });
    const id = job.jobId as any;
    const lease = async () => ((await t.run(async (ctx) => await ctx.db.get("deletion_jobs", id))) as any).lease as number;
    await t.mutation(internal.deletion.watchStep, { jobId: id, lease: 0 }); // an old lease: fenced off
    expect(await lease()).toBe(1);
    for (let i = 0; i < 8; i++) {
      const l = await lease();
      await t.mutation(internal.deletion.watchStep, { jobId: id, lease: l });
      if (((await t.run(async (ctx) => await ctx.db.get("deletion_jobs", id))) as any).phase === "failed") break;
    }
    const stored = (await t.run(async (ctx) => await ctx.db.get("deletion_jobs", id))) as any;
    expect(stored).toMatchObject({ phase: "failed", error: { code: "E_DELETION_STEP_FAILED" } });
    expect(stored.error.message).toContain("did not finish");
  });

  it("cancel within the grace period keeps everything; force-run runs now", async () => {
    const t = initConvexTest();
    await world(t);
    const before = await rows(t);
    const job = await t.mutation(api.threads.scheduleDeleteCascade, { actor: alice, threadId: "thA", delayMs: 60_000 });
    const cancelled = await t.mutation(api.threads.cancelScheduledDeletion, { actor: alice, jobId: job.jobId });
    expect(cancelled.phase).toBe("cancelled");
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const after = await rows(t);
    expect({ ...after, deletion_jobs: [] }).toEqual({ ...before, deletion_jobs: [] });
    const second = await t.mutation(api.threads.scheduleDeleteCascade, { actor: alice, threadId: "thA", delayMs: 7 * 24 * 3600 * 1000 });
    await t.mutation(api.threads.forceRunScheduledDeletion, { actor: alice, jobId: second.jobId });
    await t.finishInProgressScheduledFunctions();
    vi.advanceTimersByTime(10);
    await t.finishInProgressScheduledFunctions();
    await t.finishAllScheduledFunctions(() => vi.advanceTimersByTime(10));
    expect(await t.query(api.threads.getDeletionJobStatus, { actor: alice, jobId: second.jobId })).toMatchObject({ job: { phase: "completed" } });
    await expect(t.mutation(api.threads.cancelScheduledDeletion, { actor: alice, jobId: second.jobId })).rejects.toThrow(/E_DELETION_NOT_CANCELLABLE/);
  });

  it("a thread deletion deletes its sub-agents' conversations (and theirs), each by a job of its own; forks stay", async () => {
    const t = initConvexTest();
    await world(t);
    // thA spawned agent-1 and agent-2, agent-1 spawned agent-3; fork-1 was forked from thA
    const child = async (threadId: string, meta: Record<string, string>) => {
      const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId, title: threadId });
      await t.mutation(api.ingest.ingestBatch, { actor: alice, conversationId: conversation.conversationId, streamId: "s", seq: 0,
        events: [{ type: "threadMeta", threadId, ...meta, at }, ...turnEvents(threadId, "t1")] as any });
      return conversation.conversationId;
    };
    await child("agent-1", { parentThreadId: "thA" });
    await child("agent-2", { parentThreadId: "thA" });
    await child("agent-3", { parentThreadId: "agent-1" });
    const fork = await child("fork-1", { forkedFromId: "thA" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const preview = await t.query(api.threads.previewDeletion, { actor: alice, threadId: "thA" });
    expect(preview.counts.sub_agents).toBe(2);
    const before = await rows(t);
    const job = await t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "thA", batchSize: 1 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const after = await rows(t);
    const gone = ["thA", "agent-1", "agent-2", "agent-3"];
    expect(after.conversations.filter((c) => c.actor === alice && gone.includes(c.threadId as string))).toEqual([]);
    for (const table of ["threads", "turns", "messages", "items", "server_requests"]) {
      expect(after[table].filter((r) => r.actor === alice && gone.includes(r.threadId as string)), table).toEqual([]);
    }
    // the fork and the other thread are untouched (the fork's link to its deleted parent stays, as before)
    const kept = (r: Record<string, unknown>, table: string) => r.actor === alice && (r.threadId === "fork-1" || r.threadId === "thB" || r.conversationId === fork) && table !== "deletion_jobs";
    expect(owned(after, kept)).toEqual(owned(before, kept));
    const status = await t.query(api.threads.getDeletionJobStatus, { actor: alice, jobId: job.jobId });
    if (!status.found) throw new Error("missing");
    expect(status.job).toMatchObject({ phase: "completed", counts: { sub_agents: 2, conversations: 1 } });
    expect(status.job.deleted).toBe(Object.values(status.job.counts).reduce((a, b) => a + b, 0) - 2); // sub-agents are not rows
    const jobs = await t.query(api.threads.listDeletionJobs, { actor: alice, paginationOpts: { numItems: 10, cursor: null } });
    const targets = jobs.page.map((j) => (j.target.kind === "thread" ? j.target.threadId : "?")).sort();
    expect(targets).toEqual(gone.slice().sort());
    expect(jobs.page.every((j) => j.phase === "completed")).toBe(true);
  });

  it("a turn deletion removes that turn only", async () => {
    const t = initConvexTest();
    await world(t);
    await t.mutation(api.turns.deleteCascade, { actor: alice, threadId: "thA", turnId: "t1" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const after = await rows(t);
    const t1 = owned(after, (r) => r.actor === alice && r.threadId === "thA" && r.turnId === "t1");
    expect(Object.values(t1).reduce((a, b) => a + b, 0)).toBe(0);
    expect(after.turns.filter((r) => r.actor === alice && r.threadId === "thA").map((r) => r.turnId).sort()).toEqual(["t2", "t3"]);
  });

  it("purgeActorData leaves no row of the actor anywhere (after its status retention), and bob intact", async () => {
    const t = initConvexTest();
    await world(t);
    const before = await rows(t);
    await t.mutation(api.threads.purgeActorData, { actor: alice, batchSize: 13 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const after = await rows(t);
    expect(Object.values(owned(after, (r) => r.actor === alice)).reduce((a, b) => a + b, 0)).toBe(0);
    expect(owned(after, (r) => r.actor === bob)).toEqual(owned(before, (r) => r.actor === bob));
  });

  it("writes into a conversation being deleted are refused, and its import is cancelled", async () => {
    const t = initConvexTest();
    const { convA } = await world(t);
    const { source } = await t.mutation(api.syncSources.start, { actor: alice, threadId: "thA", idempotencyKey: "late" });
    const payload = JSON.stringify([{ type: "turnStarted", threadId: "thA", turnId: "t9", at }]);
    await t.mutation(api.syncSources.append, { actor: alice, sourceId: source.sourceId, chunkIndex: 0, payload, sha256: sha256Hex(payload), recordCount: 1 });
    const sealed = await t.mutation(api.syncSources.seal, { actor: alice, sourceId: source.sourceId, totalChunks: 1, totalRecords: 1, totalBytes: payload.length, rootHash: rootHash([sha256Hex(payload)]) });
    const job = await t.mutation(api.threads.scheduleDeleteCascade, { actor: alice, threadId: "thA", delayMs: 1000, batchSize: 1 });
    await t.mutation(internal.deletion.runStep, { jobId: job.jobId as any, lease: 1 }); // first step: freeze, then 1 row
    await expect(t.mutation(api.ingest.ingestBatch, { actor: alice, conversationId: convA, streamId: "late", seq: 0, events: [{ type: "turnStarted", threadId: "thA", turnId: "t9", at }] }))
      .rejects.toThrow(/E_CONVERSATION_DELETING/);
    const sj = await t.query(api.syncJobs.get, { actor: alice, jobId: sealed.jobId });
    expect(sj).toMatchObject({ job: { state: "cancelled", lastError: { code: "E_SYNC_JOB_CANCELLED_DELETED" } } });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const status = await t.query(api.threads.getDeletionJobStatus, { actor: alice, jobId: job.jobId });
    expect(status).toMatchObject({ job: { phase: "completed" } });
    const again = await rows(t);
    await t.mutation(internal.deletion.runStep, { jobId: job.jobId as any, lease: 99 });
    expect(await rows(t)).toEqual(again); // a finished job run again does nothing
  });

  it("bad input: unknown thread, bad delay, bad batch, foreign job", async () => {
    const t = initConvexTest();
    await world(t);
    await expect(t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "nope" })).rejects.toThrow(/E_THREAD_NOT_FOUND/);
    await expect(t.mutation(api.turns.deleteCascade, { actor: alice, threadId: "thA", turnId: "nope" })).rejects.toThrow(/E_TURN_NOT_FOUND/);
    await expect(t.mutation(api.threads.scheduleDeleteCascade, { actor: alice, threadId: "thA", delayMs: 8 * 24 * 3600 * 1000 })).rejects.toThrow(/E_DELETION_BAD_DELAY/);
    await expect(t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "thA", batchSize: 5000 })).rejects.toThrow(/E_DELETION_BAD_BATCH/);
    const job = await t.mutation(api.threads.scheduleDeleteCascade, { actor: alice, threadId: "thA", delayMs: 5000 });
    await expect(t.mutation(api.threads.cancelScheduledDeletion, { actor: bob, jobId: job.jobId })).rejects.toThrow(/E_DELETION_NOT_FOUND/);
    expect(await t.query(api.threads.getDeletionJobStatus, { actor: bob, jobId: job.jobId })).toEqual({ found: false });
  });
});

describe("deletion steps stay within Convex's read limit", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("a thread holding 20 MB of import chunks is deleted in byte-bounded steps", async () => {
    const { convexTest } = await import("convex-test");
    const { modules } = await import("../testing/component.js");
    const t = convexTest({ schema, modules, transactionLimits: true });
    await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "big" });
    const { source } = await t.mutation(api.syncSources.start, { actor: alice, threadId: "big", idempotencyKey: "big" });
    const filler = "z".repeat(500_000);
    for (let i = 0; i < 40; i++) {
      const payload = JSON.stringify([{ type: "lifecycle", threadId: "big", kind: "note", message: filler, at }]);
      await t.mutation(api.syncSources.append, { actor: alice, sourceId: source.sourceId, chunkIndex: i, payload, sha256: sha256Hex(payload), recordCount: 1 });
    }
    const job = await t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "big" });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    const status = await t.query(api.threads.getDeletionJobStatus, { actor: alice, jobId: job.jobId });
    expect(status).toMatchObject({ found: true, job: { phase: "completed", error: null } });
    if (status.found) expect(status.job.counts.sync_chunk_payloads).toBeGreaterThan(0);
    // (the source's expiry may delete some chunks too; either way every one is gone, and no step failed)
    const left = await t.run(async (ctx) => (await ctx.db.query("sync_chunk_payloads").take(1)).length + (await ctx.db.query("sync_sources").take(1)).length);
    expect(left).toBe(0);
  });
});
