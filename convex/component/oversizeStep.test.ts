/**
 * DESIGN §12, workflow#241 (an oversize step stuck): a sync step that really writes over a Convex limit (enforced
 * by convex-test's transaction metrics, set low here so ordinary data crosses it) is rolled back whole; its watchdog
 * finds it lost and retries it smaller until steps fit, or, when no step can fit, fails the job with
 * E_SYNC_JOB_RETRIES_EXHAUSTED after RETRY.maxAttempts. Never a job left running with nothing scheduled.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { convexTest } from "convex-test";
import { api } from "./_generated/api.js";
import schema from "./schema.js";
import { modules } from "../testing/component.js";
import { rootHash, sha256Hex } from "./hashing.js";
import { RETRY } from "./jobEngine.js";
import { STEP_RETRY_RECORDS } from "./syncJobState.js";

const actor = "issuer|alice";
const at = 1_700_000_000_000;

function records(turns: number, answer = (i: number) => `answer ${i}`) {
  const out: object[] = [];
  for (let i = 0; i < turns; i++) {
    const turnId = `turn-${i}`;
    out.push({ type: "turnStarted", threadId: "th", turnId, at });
    out.push({ type: "item", threadId: "th", turnId, itemId: `m${i}`, phase: "completed", itemType: "agentMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "agentMessage", id: `m${i}`, text: answer(i) }), at });
    out.push({ type: "turnCompleted", threadId: "th", turnId, status: "completed", at });
  }
  return out;
}

async function importWithWriteLimit(documentsWritten: number, turns: number, answer?: (i: number) => string) {
  const t = convexTest({ schema, modules, transactionLimits: { documentsWritten } });
  const { source } = await t.mutation(api.syncSources.start, { actor, threadId: "th", idempotencyKey: "k" });
  const payload = JSON.stringify(records(turns, answer)); // one chunk: the first step would write every row of it
  const sha256 = sha256Hex(payload);
  await t.mutation(api.syncSources.append, { actor, sourceId: source.sourceId, chunkIndex: 0, payload, sha256, recordCount: turns * 3 });
  const sealed = await t.mutation(api.syncSources.seal, {
    actor, sourceId: source.sourceId, totalChunks: 1, totalRecords: turns * 3, totalBytes: new TextEncoder().encode(payload).length, rootHash: rootHash([sha256]),
  });
  await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
  const got = await t.query(api.syncJobs.get, { actor, jobId: sealed.jobId });
  if (!got.found) throw new Error("job missing");
  return { t, job: got.job };
}

describe("an oversize step (workflow#241)", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("a step over the write limit is rolled back, retried smaller, and the import completes", async () => {
    const { t, job } = await importWithWriteLimit(120, 60); // 180 records: the first step writes ~400 documents
    expect(job).toMatchObject({ state: "succeeded", processedRecords: 180, verifiedRecords: 180 });
    // it did go over, for real: the stored step size was halved from the start
    const stored = await t.run(async (ctx) => (await ctx.db.query("sync_jobs").collect())[0]);
    expect(stored.stepRecords).toBeLessThanOrEqual(STEP_RETRY_RECORDS);
    const msgs = await t.query(api.messages.list, { actor, conversationId: job.conversationId, paginationOpts: { numItems: 100, cursor: null } });
    expect(msgs.page.length).toBe(60);
  });

  it("when no step can fit, the job fails with its code instead of staying stuck", async () => {
    // each answer is 12 text segments: its one record writes more than 9 documents
    const { job } = await importWithWriteLimit(9, 2, (i) => `${i}`.padEnd(12 * 16_384, "x"));
    expect(job.state).toBe("failed");
    expect(job.lastError?.code).toBe("E_SYNC_JOB_RETRIES_EXHAUSTED");
    expect(job.attempts).toBe(RETRY.maxAttempts);
  });
});
