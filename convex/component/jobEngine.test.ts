/**
 * The job engine's state machine, arrow by arrow, through the real handlers (runStep, watchStep, cancel) of the
 * two kinds of job that use it; no other arrow exists; and README.md's diagram is this table.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { initConvexTest } from "../testing/component.js";
import { rootHash, sha256Hex } from "./hashing.js";
import { ARROWS, RETRY, STATES, move, type State } from "./jobEngine.js";
import { deletionKind } from "./deletion.js";
import { syncJobKind } from "./syncJobState.js";

const actor = "issuer|alice";
const at = 1_700_000_000_000;
type T = ReturnType<typeof initConvexTest>;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function records(threadId: string, turns: number) {
  const out: object[] = [];
  for (let i = 0; i < turns; i++) {
    const turnId = `turn-${i}`;
    out.push({ type: "turnStarted", threadId, turnId, at });
    out.push({ type: "item", threadId, turnId, itemId: `m${i}`, phase: "completed", itemType: "agentMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "agentMessage", id: `m${i}`, text: `answer ${i}` }), at });
    out.push({ type: "turnCompleted", threadId, turnId, status: "completed", at });
  }
  return out;
}

/** A sealed two-chunk import whose steps take one chunk each: its job queued at lease 1, nothing run yet. */
async function syncJob(t: T): Promise<Id<"sync_jobs">> {
  const { source } = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k" });
  const recs = records("th", 4);
  const payloads = [JSON.stringify(recs.slice(0, 6)), JSON.stringify(recs.slice(6))];
  for (const [chunkIndex, payload] of payloads.entries()) {
    await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex, payload, sha256: sha256Hex(payload), recordCount: 6 });
  }
  const { jobId } = await t.mutation(api.syncSources.seal, {
    actor, sourceId: source.sourceId, totalChunks: 2, totalRecords: 12,
    totalBytes: payloads.reduce((n, p) => n + new TextEncoder().encode(p).length, 0), rootHash: rootHash(payloads.map(sha256Hex)),
  });
  const id = jobId as Id<"sync_jobs">;
  await t.run(async (ctx) => await ctx.db.patch("sync_jobs", id, { stepRecords: 6 }));
  return id;
}

/** A deletion of a thread of `turns` turns, scheduled an hour out, in batches of `batchSize` rows. */
async function deletionJob(t: T, turns: number, batchSize: number): Promise<Id<"deletion_jobs">> {
  const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "thD" });
  await t.mutation(api.ingest.ingestBatch, { actor, conversationId: conversation.conversationId, streamId: "s", seq: 0, events: records("thD", turns) as any });
  const job = await t.mutation(api.threads.scheduleDeleteCascade, { actor, threadId: "thD", delayMs: 3_600_000, batchSize });
  return job.jobId as Id<"deletion_jobs">;
}

/** The job table of an id (a sync job's or a deletion job's). */
const tableOf = (ctx: { db: { normalizeId: (t: "sync_jobs", id: string) => unknown } }, id: string) =>
  ctx.db.normalizeId("sync_jobs", id) !== null ? "sync_jobs" : "deletion_jobs";
const get = async <K extends "sync_jobs" | "deletion_jobs">(t: T, id: Id<K>) => (await t.run(async (ctx) => await ctx.db.get(tableOf(ctx, id), id as never)))! as unknown as Doc<K>;
const stateOf = async (t: T, id: Id<"sync_jobs"> | Id<"deletion_jobs">): Promise<State> => {
  const job = await get(t, id);
  return "phase" in job ? deletionKind.stateOf(job) : syncJobKind.stateOf(job as Doc<"sync_jobs">);
};
const put = async (t: T, id: Id<"sync_jobs"> | Id<"deletion_jobs">, patch: Record<string, unknown>) => await t.run(async (ctx) => await ctx.db.patch(tableOf(ctx, id), id as never, patch as never));

/** Store a job in engine state `from` (a step under way at lease 5). */
async function syncIn(t: T, from: State, extra: Record<string, unknown> = {}) {
  const id = await syncJob(t);
  await put(t, id, { state: from, lease: 5, ...extra });
  return id;
}
async function deletionIn(t: T, from: State, turns: number, batchSize: number) {
  const id = await deletionJob(t, turns, batchSize);
  const phase = { queued: "scheduled", running: "running", retry_wait: "retry_wait" }[from as "queued"];
  await put(t, id, { phase, lease: 5 });
  return id;
}

const step = (t: T, id: Id<"sync_jobs">) => t.mutation(internal.syncJobs.runStep, { jobId: id, lease: 5 });
const lost = (t: T, id: Id<"sync_jobs">) => t.mutation(internal.syncJobs.watchStep, { jobId: id, lease: 5 });
const deleteStep = (t: T, id: Id<"deletion_jobs">) => t.mutation(internal.deletion.runStep, { jobId: id, lease: 5 });

/** Drive a sync job (at lease 5, any live state) to its last chunk. */
async function toLastChunk(t: T, id: Id<"sync_jobs">) {
  await t.mutation(internal.syncJobs.runStep, { jobId: id, lease: 5 });
  const job = await get(t, id);
  expect(job).toMatchObject({ state: "running", processedChunks: 1, verifiedChunks: 1 });
  return job;
}

type Case = { how: string; run: (t: T) => Promise<{ id: Id<"sync_jobs"> | Id<"deletion_jobs">; check?: (job: any) => void }> };

// Every arrow of ARROWS, each made by a real handler.
const CASES: Record<string, Case> = {
  "queued->running": { how: "sync: the first step ingests one chunk of two", run: async (t) => {
    const id = await syncIn(t, "queued"); await step(t, id); return { id, check: (j) => expect(j.state).toBe("running") };
  } },
  "queued->retry_wait": { how: "sync: the first step was lost (its watchdog)", run: async (t) => {
    const id = await syncIn(t, "queued"); await lost(t, id); return { id, check: (j) => expect(j).toMatchObject({ attempts: 1, stepRecords: 3, lastError: { code: "E_SYNC_JOB_TRANSIENT" } }) };
  } },
  "queued->succeeded": { how: "deletion: a small deletion finishes in its first step", run: async (t) => {
    const id = await deletionIn(t, "queued", 1, 2000); await deleteStep(t, id); return { id, check: (j) => expect(j.phase).toBe("completed") };
  } },
  "queued->failed": { how: "sync: bad data in the first step (a chunk no longer matches its hash)", run: async (t) => {
    const id = await syncIn(t, "queued");
    await t.run(async (ctx) => { const p = (await ctx.db.query("sync_chunk_payloads").first())!; await ctx.db.patch("sync_chunk_payloads", p._id, { payload: "[]" }); });
    await step(t, id); return { id, check: (j) => expect(j.lastError.code).toBe("E_SYNC_CHUNK_CORRUPT") };
  } },
  "queued->cancelled": { how: "deletion: cancelled in its grace period", run: async (t) => {
    const id = await deletionJob(t, 1, 500);
    await t.mutation(api.threads.cancelScheduledDeletion, { actor, jobId: id }); return { id, check: (j) => expect(j.phase).toBe("cancelled") };
  } },
  "running->running": { how: "sync: another ingest step", run: async (t) => {
    const id = await syncIn(t, "running"); await step(t, id); return { id, check: (j) => expect(j).toMatchObject({ state: "running", processedChunks: 1 }) };
  } },
  "running->retry_wait": { how: "deletion: a running step was lost", run: async (t) => {
    const id = await deletionIn(t, "running", 3, 2); await t.mutation(internal.deletion.watchStep, { jobId: id, lease: 5 });
    return { id, check: (j) => expect(j).toMatchObject({ phase: "retry_wait", batchSize: 1, error: { code: "E_DELETION_STEP_RETRY" } }) };
  } },
  "running->succeeded": { how: "sync: the last chunk applied (and verified)", run: async (t) => {
    const id = await syncIn(t, "running"); const job = await toLastChunk(t, id);
    await t.mutation(internal.syncJobs.runStep, { jobId: id, lease: job.lease }); return { id, check: (j) => expect(j.state).toBe("succeeded") };
  } },
  "running->failed": { how: "sync: the last attempt of a step was lost too (retries exhausted)", run: async (t) => {
    const id = await syncIn(t, "running", { attempts: RETRY.maxAttempts - 1 }); await lost(t, id);
    return { id, check: (j) => expect(j.lastError.code).toBe("E_SYNC_JOB_RETRIES_EXHAUSTED") };
  } },
  "running->cancelled": { how: "sync: cancelled by the owner while running", run: async (t) => {
    const id = await syncIn(t, "running"); await t.mutation(api.syncJobs.cancel, { actor, jobId: id });
    return { id, check: (j) => expect(j.lastError.code).toBe("E_SYNC_JOB_CANCELLED") };
  } },
  "retry_wait->running": { how: "deletion: the retry deletes a batch", run: async (t) => {
    const id = await deletionIn(t, "retry_wait", 3, 2); await deleteStep(t, id); return { id, check: (j) => expect(j).toMatchObject({ phase: "running", attempts: 0 }) };
  } },
  "retry_wait->retry_wait": { how: "sync: the retry was lost again", run: async (t) => {
    const id = await syncIn(t, "retry_wait", { attempts: 2 }); await lost(t, id); return { id, check: (j) => expect(j.attempts).toBe(3) };
  } },
  "retry_wait->succeeded": { how: "deletion: the retry finishes the deletion", run: async (t) => {
    const id = await deletionIn(t, "retry_wait", 1, 2000); await deleteStep(t, id); return { id, check: (j) => expect(j.phase).toBe("completed") };
  } },
  "retry_wait->failed": { how: "deletion: the last attempt was lost too", run: async (t) => {
    const id = await deletionIn(t, "retry_wait", 1, 2000); await put(t, id, { attempts: RETRY.maxAttempts - 1 });
    await t.mutation(internal.deletion.watchStep, { jobId: id, lease: 5 }); return { id, check: (j) => expect(j.error.code).toBe("E_DELETION_STEP_FAILED") };
  } },
  "retry_wait->cancelled": { how: "sync: a newer import replaces a job waiting to retry", run: async (t) => {
    const id = await syncIn(t, "retry_wait");
    const { source } = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k2" });
    const payload = JSON.stringify(records("th", 1));
    await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex: 0, payload, sha256: sha256Hex(payload), recordCount: 3 });
    await t.mutation(api.syncSources.seal, { actor, sourceId: source.sourceId, totalChunks: 1, totalRecords: 3, totalBytes: payload.length, rootHash: rootHash([sha256Hex(payload)]) });
    return { id, check: (j) => expect(j.lastError.code).toBe("E_SYNC_JOB_CANCELLED_REPLACED") };
  } },
};

describe("job engine: every arrow, through the real handlers", () => {
  it("the cases cover exactly the arrows of the table", () => {
    const arrows = STATES.flatMap((from) => ARROWS[from].map((to) => `${from}->${to}`));
    expect(Object.keys(CASES).sort()).toEqual(arrows.sort());
  });
  for (const [arrow, c] of Object.entries(CASES)) {
    const [from, to] = arrow.split("->") as [State, State];
    it(`${from} → ${to}: ${c.how}`, async () => {
      const t = initConvexTest();
      const { id, check } = await c.run(t);
      expect(await stateOf(t, id)).toBe(to);
      const job = await get(t, id);
      check?.(job);
      if (to !== from) expect(job.lease).toBeGreaterThan(1); // every move takes a new lease: older steps are fenced off
      // a step of the old lease does nothing now
      const before = JSON.stringify(await get(t, id));
      if ("phase" in job) await t.mutation(internal.deletion.runStep, { jobId: id as Id<"deletion_jobs">, lease: 4 });
      else await t.mutation(internal.syncJobs.runStep, { jobId: id as Id<"sync_jobs">, lease: 4 });
      expect(JSON.stringify(await get(t, id))).toBe(before);
    });
  }
});

describe("job engine: nothing else moves", () => {
  it("every pair not in the table is refused and writes nothing, for both kinds", async () => {
    const t = initConvexTest();
    const syncId = await syncJob(t);
    const delId = await deletionJob(t, 1, 500);
    for (const from of STATES) for (const to of STATES) {
      if (ARROWS[from].includes(to)) continue;
      await put(t, syncId, { state: from });
      await put(t, delId, { phase: { queued: "scheduled", succeeded: "completed" }[from as "queued"] ?? from });
      const moved = await t.run(async (ctx) => [
        await move(ctx, syncJobKind, (await ctx.db.get("sync_jobs", syncId))!, to),
        await move(ctx, deletionKind, (await ctx.db.get("deletion_jobs", delId))!, to),
      ]);
      expect(moved, `${from} -> ${to}`).toEqual([false, false]);
      expect(await stateOf(t, syncId)).toBe(from);
      expect(await stateOf(t, delId)).toBe(from);
    }
  });
  it("terminal states take no step, no watchdog and no cancel", async () => {
    const t = initConvexTest();
    const id = await syncJob(t);
    for (const s of ["succeeded", "failed", "cancelled"] as const) {
      await put(t, id, { state: s, lease: 5 });
      const before = JSON.stringify(await get(t, id));
      await step(t, id);
      await lost(t, id);
      await expect(t.mutation(api.syncJobs.cancel, { actor, jobId: id })).rejects.toThrow(/E_SYNC_JOB_FINISHED/);
      expect(JSON.stringify(await get(t, id))).toBe(before);
    }
  });
});

describe("README.md draws this state machine", () => {
  it("its mermaid diagram has exactly the table's arrows", () => {
    const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "README.md"), "utf8");
    const block = /```mermaid\n(stateDiagram-v2[\s\S]*?)```/.exec(readme);
    expect(block, "README.md needs the job state diagram").not.toBeNull();
    const drawn = [...block![1].matchAll(/^\s*(\w+) --> (\w+)/gm)].map((m) => `${m[1]}->${m[2]}`).sort();
    const table = STATES.flatMap((from) => ARROWS[from].map((to) => `${from}->${to}`)).sort();
    expect(drawn).toEqual(table);
  });
});
