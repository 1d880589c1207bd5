/**
 * The sync job's buffered apply (bufferedDb.ts) leaves exactly the rows the shared path leaves when every record
 * goes straight to the database, wherever the job's steps cut the records, for records of every kind; and it
 * writes each row once.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { initConvexTest } from "../testing/component.js";
import { BufferedDb, compareValues } from "./bufferedDb.js";
import { applyEvents } from "./ingestApply.js";
import type { IngestEvent } from "./ingestEvents.js";
import { sha256Hex } from "./hashing.js";

const actor = "issuer|alice";
const at = 1_700_000_000_000;
const th = "th";
const digest = (s: string) => sha256Hex(s);

function item(turnId: string, itemId: string, phase: "started" | "completed", json: Record<string, unknown>, extra: Partial<IngestEvent> = {}): IngestEvent {
  return { type: "item", threadId: th, turnId, itemId, phase, itemType: String(json.type), part: 0, partCount: 1, data: JSON.stringify(json), at, ...extra } as IngestEvent;
}

/** Records of every kind a host sends, in the orders hosts send them (and a few they should not, but may). */
function records(): IngestEvent[] {
  const threadJson = JSON.stringify({ id: th, preview: "hello", cwd: "/w" });
  const big = JSON.stringify({ type: "commandExecution", id: "c0", command: "cat big", status: "completed", aggregatedOutput: "y".repeat(40_000) });
  const bigParts = [0, 1, 2, 3, 4].map((i) => big.slice(i * Math.ceil(big.length / 5), (i + 1) * Math.ceil(big.length / 5)));
  return [
    { type: "threadMeta", threadId: th, name: "A name", preview: "hello", cwd: "/w", model: "m", at },
    { type: "threadJson", threadId: th, part: 0, partCount: 2, data: threadJson.slice(0, 10), sha256: sha256Hex(threadJson), at },
    { type: "threadJson", threadId: th, part: 1, partCount: 2, data: threadJson.slice(10), sha256: sha256Hex(threadJson), at },
    { type: "turnStarted", threadId: th, turnId: "t0", json: '{"id":"t0"}', at },
    item("t0", "u0", "completed", { type: "userMessage", id: "u0", content: [{ type: "text", text: "hi" }] }),
    item("t0", "m0", "started", { type: "agentMessage", id: "m0", text: "" }),
    { type: "messageDelta", threadId: th, turnId: "t0", itemId: "m0", firstDelta: 0, deltaCount: 2, text: "Hel", at },
    { type: "messageDelta", threadId: th, turnId: "t0", itemId: "m0", firstDelta: 2, deltaCount: 1, text: "lo", at },
    { type: "messageDelta", threadId: th, turnId: "t0", itemId: "m0", firstDelta: 0, deltaCount: 2, text: "Hel", at }, // re-sent
    item("t0", "m0", "completed", { type: "agentMessage", id: "m0", text: "Hello!" }),
    { type: "serverRequest", threadId: th, turnId: "t0", itemId: "c0", requestId: "r0", method: "item/commandExecution/requestApproval", paramsJson: "{}", at },
    { type: "serverRequestResolved", threadId: th, turnId: "t0", requestId: "r0", at },
    ...bigParts.map((data, part) => ({
      type: "item", threadId: th, turnId: "t0", itemId: "c0", phase: "completed", itemType: "commandExecution", part, partCount: 5, data, at,
      ...(part === 4 ? { view: { role: "tool", status: "completed", summary: "cat big", itemStatus: "completed", segmentCount: 3, textBytes: 40_000 } } : {}),
    }) as IngestEvent),
    ...[0, 1, 2].map((segment) => ({ type: "messageText", threadId: th, turnId: "t0", itemId: "c0", segment, text: "y".repeat(segment < 2 ? 16_384 : 40_000 - 2 * 16_384), at }) as IngestEvent),
    { type: "tokenUsage", threadId: th, turnId: "t0", inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningOutputTokens: 0, totalTokens: 15, lastTotalTokens: 15, at },
    { type: "lifecycle", threadId: th, turnId: "t0", kind: "warning", message: "careful", at },
    { type: "turnCompleted", threadId: th, turnId: "t0", status: "completed", codexItems: ["u0", "m0", "c0"], json: '{"id":"t0","status":"completed"}', digest: digest("t0"), at: at + 1 },
    // usage before its turn started: its row is written before the turn is known
    { type: "tokenUsage", threadId: th, turnId: "t1", inputTokens: 1, cachedInputTokens: 0, outputTokens: 1, reasoningOutputTokens: 0, totalTokens: 2, lastTotalTokens: 2, at },
    { type: "turnStarted", threadId: th, turnId: "t1", at },
    { type: "tokenUsage", threadId: th, turnId: "t1", inputTokens: 3, cachedInputTokens: 1, outputTokens: 2, reasoningOutputTokens: 1, totalTokens: 5, lastTotalTokens: 3, at },
    item("t1", "u1", "completed", { type: "userMessage", id: "u1", content: [{ type: "text", text: "run it" }] }),
    item("t1", "x1", "completed", { type: "commandExecution", id: "x1", command: "ls", status: "declined" }),
    { type: "turnCompleted", threadId: th, turnId: "t1", status: "failed", error: { message: "boom" }, keepItems: ["u1"], digest: digest("t1"), at: at + 2 },
    { type: "lifecycle", kind: "hostStopped", message: "bye", at },
    // a turn known only from its items; a lone delta; a request left pending when the turn is interrupted
    item("t2", "u2", "completed", { type: "userMessage", id: "u2", content: [{ type: "text", text: "again" }] }),
    { type: "messageDelta", threadId: th, turnId: "t2", itemId: "m2", firstDelta: 0, deltaCount: 1, text: "partial", at },
    { type: "serverRequest", threadId: th, turnId: "t2", requestId: "r2", method: "item/fileChange/requestApproval", paramsJson: "{}", at },
    { type: "turnCompleted", threadId: th, turnId: "t2", status: "interrupted", at: at + 3 },
    // t1 again with another digest: the chain is cut back to it (reads the turn before it by ordinal)
    { type: "turnCompleted", threadId: th, turnId: "t1", status: "failed", error: { message: "boom" }, digest: digest("t1'"), at: at + 4 },
  ];
}

async function setup() {
  const t = initConvexTest();
  const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: th });
  return { t, conversationId: conversation.conversationId as Id<"conversations"> };
}

/** Every row of every table the records write, without the fields that name a row (ids, creation times). */
async function rows(t: ReturnType<typeof initConvexTest>) {
  return await t.run(async (ctx) => {
    const out: Record<string, unknown[]> = {};
    for (const table of ["threads", "thread_parts", "conversations", "turns", "items", "item_parts", "messages", "message_segments", "server_requests", "token_usage", "lifecycle_events"]) {
      out[table] = (await ctx.db.query(table as any).collect()).map(({ _id, _creationTime, conversationId, ...rest }: any) => ({ ...rest, conversationId: conversationId === undefined ? undefined : "conv" }));
    }
    return out;
  });
}

/** Apply `steps` (lists of records), each in its own transaction: through the buffer, or straight. */
async function apply(steps: IngestEvent[][], buffered: boolean) {
  const { t, conversationId } = await setup();
  let written = 0;
  for (const step of steps) {
    written += await t.run(async (ctx) => {
      const conv = (await ctx.db.get("conversations", conversationId))!;
      const db = new BufferedDb(ctx.db);
      const c = buffered ? ({ ...ctx, db } as unknown as MutationCtx) : ctx;
      // as a sync step does: the step's turns checked at once, then its records applied one by one
      if (buffered) await db.checkTurns(actor, th, step.flatMap((r) => ("turnId" in r && r.turnId !== undefined ? [r.turnId] : [])));
      for (const r of step) await applyEvents(c, conv, [r]);
      await db.flush();
      return db.spent.documentsWritten;
    });
  }
  return { rows: await rows(t), written };
}

describe("buffered apply (a sealed snapshot's rows built in memory)", () => {
  beforeEach(() => vi.useFakeTimers({ now: at }));
  afterEach(() => vi.useRealTimers());

  it("leaves the shared path's rows, whatever the steps", async () => {
    const all = records();
    const straight = (await apply([all], false)).rows;
    expect((straight.turns as unknown[]).length).toBe(3);
    expect((straight.message_segments as unknown[]).length).toBeGreaterThan(3);
    const cuts: IngestEvent[][][] = [[all], all.map((r) => [r])];
    for (let k = 1; k < all.length; k++) cuts.push([all.slice(0, k), all.slice(k)]);
    for (const steps of cuts) {
      const got = await apply(steps, true);
      expect(got.rows, `steps of ${steps.map((s) => s.length).join("+")} records`).toEqual(straight);
    }
  });

  it("writes each fresh row once and reads no row of a fresh turn", async () => {
    const turns = 40;
    const all: IngestEvent[] = [];
    for (let i = 0; i < turns; i++) {
      all.push({ type: "turnStarted", threadId: th, turnId: `t${i}`, at });
      all.push(item(`t${i}`, `u${i}`, "completed", { type: "userMessage", id: `u${i}`, content: [{ type: "text", text: `q${i}` }] }));
      all.push(item(`t${i}`, `m${i}`, "completed", { type: "agentMessage", id: `m${i}`, text: `answer ${i}` }));
      all.push({ type: "turnCompleted", threadId: th, turnId: `t${i}`, status: "completed", digest: digest(`${i}`), at });
    }
    const { t, conversationId } = await setup();
    const spent = await t.run(async (ctx) => {
      const db = new BufferedDb(ctx.db);
      await applyEvents({ ...ctx, db } as unknown as MutationCtx, (await ctx.db.get("conversations", conversationId))!, all);
      await db.flush();
      return db.spent;
    });
    const got = await rows(t);
    const finalRows = ["turns", "items", "item_parts", "messages", "message_segments"].reduce((n, k) => n + (got[k] as unknown[]).length, 0);
    expect(finalRows).toBe(turns * 9); // turn + 2 × (item, part, message, segment)
    // and the thread row (inserted, then patched once) and the conversation's (its preview, from the first message)
    expect(spent.documentsWritten).toBe(finalRows + 3);
    expect(spent.indexRanges).toBe(turns + 2); // one existence check per turn, and the thread (before and after its insert)
    expect(got).toEqual((await apply([all], false)).rows);
  });

  it("checks a step's turns with one range, and alone when stored turns crowd that range", async () => {
    const turn = (id: string): IngestEvent[] => [
      { type: "turnStarted", threadId: th, turnId: id, at },
      item(id, `u-${id}`, "completed", { type: "userMessage", id: `u-${id}`, content: [{ type: "text", text: id }] }),
      { type: "turnCompleted", threadId: th, turnId: id, status: "completed", at },
    ];
    const before = ["t1", "t3", "t5", "t7"].flatMap(turn);
    for (const later of [["t2", "t4"], ["t0", "t9"], ["t8", "t9"], ["t3", "t6"]]) {
      // t3 again: a stored turn whose records come again (its rows are rewritten, not doubled)
      const next = later.flatMap(turn);
      const straight = (await apply([before, next], false)).rows;
      expect((await apply([before, next], true)).rows, later.join(",")).toEqual(straight);
    }
    const { t, conversationId } = await setup();
    await t.run(async (ctx) => {
      const conv = (await ctx.db.get("conversations", conversationId))!;
      for (const r of before) await applyEvents(ctx, conv, [r]);
    });
    const ranges = async (ids: string[]) => await t.run(async (ctx) => {
      const db = new BufferedDb(ctx.db);
      await db.checkTurns(actor, th, ids);
      for (const r of ids.flatMap(turn)) await applyEvents({ ...ctx, db } as unknown as MutationCtx, (await ctx.db.get("conversations", conversationId))!, [r]);
      await db.flush();
      throw new Error(JSON.stringify(db.spent.indexRanges)); // roll back: each case starts from the same four turns
    }).catch((e: Error) => Number(JSON.parse(e.message.match(/\d+$/)![0])));
    expect(await ranges(["t8", "t9"])).toBe(2); // the range, and the thread
    expect(await ranges(["t0", "t9"])).toBe(2 + 2); // four stored turns in [t0, t9]: each new turn checked alone
  });

  it("orders strings as Convex does (by code point), numbers, and values of different types", () => {
    expect(compareValues("a", "b")).toBeLessThan(0);
    expect(compareValues("\u{1F600}", "\uFFFF")).toBeGreaterThan(0); // UTF-16 code units would say otherwise
    expect(compareValues(2, 10)).toBeLessThan(0);
    expect(compareValues(undefined, 0)).toBeLessThan(0);
    expect(compareValues(1, "1")).toBeLessThan(0);
    expect(compareValues("ab", "a")).toBeGreaterThan(0);
  });
});



