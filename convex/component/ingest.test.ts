import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest } from "../testing/component.js";
import type { IngestEvent } from "./ingestEvents.js";
import { GOAL_OBJECTIVE_MAX_CHARS, MESSAGE_SUMMARY_MAX_CHARS, NOTICE_DETAILS_MAX_CHARS, NOTICE_MAX_CHARS, PREVIEW_MAX_CHARS, SEGMENT_MAX_CHARS, SERVER_REQUEST_PARAMS_MAX_CHARS, THREAD_FIELD_MAX_CHARS, TITLE_MAX_CHARS } from "./limits.js";

const actor = "issuer|alice";
const page = { numItems: 50, cursor: null };
const at = 1_700_000_000_000;

async function setup() {
  const t = initConvexTest();
  const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th" });
  const conversationId = conversation.conversationId;
  const send = (seq: number, events: IngestEvent[], streamId = "host-1") =>
    t.mutation(api.ingest.ingestBatch, { actor, conversationId, streamId, seq, events });
  const listed = async () => (await t.query(api.messages.list, { actor, conversationId, paginationOpts: page })).page;
  // what a client shows: a streaming message's text comes from listStreaming (lists carry it once it ends)
  const messages = async () => {
    const live = await t.query(api.messages.listStreaming, { actor, conversationId });
    return (await listed()).map((m) => {
      const s = live.find((x) => x.turnId === m.turnId && x.itemId === m.itemId);
      return m.status === "streaming" && s !== undefined ? { ...m, text: s.text } : m;
    });
  };
  return { t, conversationId, send, messages, listed };
}

const item = (itemId: string, phase: "started" | "completed", json: object, turnId = "t1"): IngestEvent => ({
  type: "item", threadId: "th", turnId, itemId, phase, itemType: (json as { type: string }).type, part: 0, partCount: 1, data: JSON.stringify(json), at,
});
const delta = (firstDelta: number, text: string, deltaCount = 1): IngestEvent => ({
  type: "messageDelta", threadId: "th", turnId: "t1", itemId: "msg_1", firstDelta, deltaCount, text, at,
});

describe("ingest sequencing", () => {
  it("accepts the next sequence, ignores duplicates, reports gaps without writing", async () => {
    const { send, messages } = await setup();
    expect(await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }])).toEqual({ status: "accepted", nextSeq: 1, applied: 1 });
    expect(await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }])).toEqual({ status: "duplicate", nextSeq: 1, applied: 0 });
    expect(await send(5, [item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" })])).toEqual({ status: "gap", nextSeq: 1, applied: 0 });
    expect(await messages()).toEqual([]);
  });

  it("applies only the new tail of an overlapping batch", async () => {
    const { send, messages } = await setup();
    const started = item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" });
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, started, delta(0, "Hel")]);
    const r = await send(2, [delta(0, "Hel"), delta(1, "lo")]);
    expect(r).toEqual({ status: "accepted", nextSeq: 4, applied: 1 });
    expect((await messages())[0].text).toBe("Hello");
  });

  it("keeps streams of two hosts apart", async () => {
    const { send } = await setup();
    expect((await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }], "a")).status).toBe("accepted");
    expect((await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t2", at }], "b")).status).toBe("accepted");
  });
});

describe("a conversation's preview", () => {
  it("is its thread's first user message, whitespace folded and cut, given once; another thread's does not count", async () => {
    const { t, send, conversationId } = await setup();
    const user = (itemId: string, text: string, threadId = "th"): IngestEvent => ({
      ...item(itemId, "completed", { type: "userMessage", id: itemId, content: [{ type: "text", text }] }), threadId,
    } as IngestEvent);
    const preview = async () => (await t.query(api.conversations.get, { actor, conversationId })).conversation?.preview;
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, item("m0", "completed", { type: "agentMessage", id: "m0", text: "hello" })]);
    expect(await preview()).toBeNull();
    await send(2, [user("u1", "  fix the\n\n flaky   test " + "🙂".repeat(TITLE_MAX_CHARS)), user("u2", "second")]);
    const got = (await preview())!;
    expect(got.startsWith("fix the flaky test 🙂") && got.length <= TITLE_MAX_CHARS && got.length >= TITLE_MAX_CHARS - 1).toBe(true);
    await send(4, [user("u3", "later")]);
    expect(await preview()).toBe(got);
  });

  it("comes from Codex's preview of the thread (its first message) when the thread's metadata carries it", async () => {
    const { t, send, conversationId } = await setup();
    await send(0, [{ type: "threadMeta", threadId: "th", preview: "", at }]); // a new thread: none yet
    expect((await t.query(api.conversations.get, { actor, conversationId })).conversation?.preview).toBeNull();
    await send(1, [{ type: "threadMeta", threadId: "th", preview: "resume me\nplease", at }]);
    expect((await t.query(api.conversations.get, { actor, conversationId })).conversation?.preview).toBe("resume me please");
  });
});

describe("text cut at a limit keeps surrogate pairs whole", () => {
  it("a delta that starts with a pair when its last segment has room for one unit goes on in the next segment", async () => {
    const { t, send } = await setup();
    const almost = "a".repeat(SEGMENT_MAX_CHARS - 1);
    await send(0, [
      { type: "turnStarted", threadId: "th", turnId: "t1", at },
      item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }),
      delta(0, almost), delta(1, "🙂 done"),
    ]);
    const got = await t.query(api.messages.getMessageText, { actor, threadId: "th", turnId: "t1", itemId: "msg_1" });
    expect(got.found && [got.text.length, got.text.endsWith("a🙂 done"), got.segmentCount]).toEqual([almost.length + 7, true, 2]);
  });

  it("a preview longer than a row keeps is cut before a pair it would split", async () => {
    const { t, send } = await setup();
    const preview = "a".repeat(PREVIEW_MAX_CHARS - 1) + "🙂" + "b".repeat(10);
    await send(0, [{ type: "threadMeta", threadId: "th", preview, at }]);
    const bindings = await t.query(api.conversations.listThreads, { actor, conversationId: (await t.query(api.conversations.list, { actor, paginationOpts: page })).page[0].conversationId });
    expect(bindings[0].preview).toBe("a".repeat(PREVIEW_MAX_CHARS - 1));
  });
});

describe("messages", () => {
  it("streams deltas, then the completed item's text is authoritative", async () => {
    const { send, messages } = await setup();
    await send(0, [
      { type: "turnStarted", threadId: "th", turnId: "t1", at },
      item("u1", "completed", { type: "userMessage", id: "u1", content: [{ type: "text", text: "hi" }] }),
      item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }),
      delta(0, "echo"), delta(1, ": h", 2),
    ]);
    let ms = await messages();
    expect(ms.map((m) => [m.role, m.status, m.text])).toEqual([["assistant", "streaming", "echo: h"], ["user", "completed", "hi"]]);
    await send(5, [
      item("msg_1", "completed", { type: "agentMessage", id: "msg_1", text: "echo: hi" }),
      { type: "turnCompleted", threadId: "th", turnId: "t1", status: "completed", at },
    ]);
    ms = await messages();
    expect(ms[0]).toMatchObject({ status: "completed", text: "echo: hi" });
  });

  it("a reasoning summary streams as an assistant message of kind reasoning; the completed item's summary is its text", async () => {
    const { send, messages } = await setup();
    const summaryDelta = (firstDelta: number, text: string): IngestEvent => ({ ...delta(firstDelta, text), itemId: "rs_1" } as IngestEvent);
    await send(0, [
      { type: "turnStarted", threadId: "th", turnId: "t1", at },
      item("rs_1", "started", { type: "reasoning", id: "rs_1", summary: [], content: [] }),
      summaryDelta(0, "plan"), summaryDelta(1, "\n\n"), summaryDelta(2, "check"),
    ]);
    expect((await messages()).map((m) => [m.role, m.kind, m.status, m.text])).toEqual([["assistant", "reasoning", "streaming", "plan\n\ncheck"]]);
    await send(5, [item("rs_1", "completed", { type: "reasoning", id: "rs_1", summary: ["plan", "check twice"], content: ["raw"] })]);
    expect((await messages()).map((m) => [m.role, m.kind, m.status, m.text])).toEqual([["assistant", "reasoning", "completed", "plan\n\ncheck twice"]]);
  });

  it("output streamed before its command's item arrived (a host attached mid-turn) ends as the command's message", async () => {
    const { send, messages } = await setup();
    const output = (firstDelta: number, text: string): IngestEvent => ({ ...delta(firstDelta, text), itemId: "call_1" } as IngestEvent);
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, output(0, "line 1\n"), output(1, "line 2\n")]);
    expect((await messages()).map((m) => [m.role, m.status, m.text])).toEqual([["assistant", "streaming", "line 1\nline 2\n"]]);
    await send(3, [item("call_1", "completed", { type: "commandExecution", id: "call_1", command: "make", aggregatedOutput: "line 1\nline 2\n", status: "completed" })]);
    expect((await messages()).map((m) => [m.role, m.kind, m.status, m.summary, m.text])).toEqual([["tool", "commandExecution", "completed", "make", "line 1\nline 2\n"]]);
  });

  it("a summary (a command, the paths a change touched) is cut to its bound; a host's view over it is refused", async () => {
    const { send, messages } = await setup();
    const command = `printf %s ${"🙂".repeat(MESSAGE_SUMMARY_MAX_CHARS)}`;
    await send(0, [
      { type: "turnStarted", threadId: "th", turnId: "t1", at },
      item("call_1", "completed", { type: "commandExecution", id: "call_1", command, aggregatedOutput: "ok", status: "completed" }),
    ]);
    const [m] = await messages();
    expect([m.summary?.length, command.startsWith(m.summary ?? "-")]).toEqual([MESSAGE_SUMMARY_MAX_CHARS, true]);
    const view = { role: "tool" as const, status: "completed" as const, summary: command, itemStatus: "completed", segmentCount: 0, textBytes: 0 };
    await expect(send(2, [{ ...item("call_2", "completed", { type: "commandExecution", id: "call_2" }), view } as IngestEvent])).rejects.toThrow(/E_INGEST_BAD_VIEW.*summary/);
  });

  it("a delta for an item not shown as a message changes nothing (it is not made an agent message)", async () => {
    const { t, send, messages } = await setup();
    await send(0, [item("cc_1", "started", { type: "contextCompaction", id: "cc_1" }), { ...delta(0, "x"), itemId: "cc_1" } as IngestEvent]);
    expect(await messages()).toEqual([]);
    const stored = await t.query(api.messages.getItemJson, { actor, threadId: "th", turnId: "t1", itemId: "cc_1" });
    expect(stored).toMatchObject({ found: true, data: JSON.stringify({ type: "contextCompaction", id: "cc_1" }) });
  });

  it("a delta that skips ahead inside a message is refused and nothing of the batch is written", async () => {
    const { send, messages } = await setup();
    await send(0, [item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }), delta(0, "a")]);
    await expect(send(2, [delta(1, "b"), delta(5, "zzz")])).rejects.toThrow(/E_INGEST_DELTA_GAP/);
    expect((await messages())[0].text).toBe("a");
  });

  it("a failed turn closes its streaming message and keeps the structured error", async () => {
    const { t, send, messages } = await setup();
    await send(0, [item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }), delta(0, "par")]);
    await send(2, [{ type: "turnCompleted", threadId: "th", turnId: "t1", status: "failed", error: { message: "model 500", codexErrorInfo: "internalServerError" }, at }]);
    expect((await messages())[0]).toMatchObject({ status: "failed", text: "par" });
    const turn = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "t1" });
    expect(turn).toMatchObject({ found: true, turn: { status: "failed", error: { message: "model 500", codexErrorInfo: "internalServerError" } } });
  });

  it("long text spans segments: getMessageText pages through it whole while it streams; once it ends a list shows its beginning and full length", async () => {
    const { t, send, listed } = await setup();
    const big = "x".repeat(40_000) + "🙂" + "y".repeat(30_000);
    const bytes = new TextEncoder().encode(big).length;
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }), delta(0, big.slice(0, 20_000)), delta(1, big.slice(20_000))]);
    const readAll = async () => {
      let text = "";
      let from: number | null = 0;
      let textBytes = -1;
      while (from !== null) {
        const page: Awaited<ReturnType<typeof t.query<typeof api.messages.getMessageText>>> = await t.query(api.messages.getMessageText, { actor, threadId: "th", turnId: "t1", itemId: "msg_1", fromSegment: from });
        if (!page.found) throw new Error("message missing");
        text += page.text;
        from = page.nextSegment;
        textBytes = page.textBytes;
      }
      return { text, textBytes };
    };
    let whole = await readAll();
    expect(whole.text === big && whole.textBytes === bytes).toBe(true);
    // a streaming message is listed without its text (getMessageSegments carries it), its counts those of its closed segments
    expect((await listed())[0]).toMatchObject({ status: "streaming", text: "", textTruncated: false });
    await send(4, [{ type: "turnCompleted", threadId: "th", turnId: "t1", status: "interrupted", at }]);
    const shown = (await listed())[0];
    expect(shown).toMatchObject({ status: "interrupted", textTruncated: true, textBytes: bytes, deltaCount: 2 });
    expect(big.startsWith(shown.text) && shown.text.length > 0).toBe(true);
    whole = await readAll();
    expect(whole.text === big && whole.textBytes === bytes).toBe(true);
  });

  it("listStreaming carries each streaming message's first page of text, oldest first, and drops one once it ends", async () => {
    const { t, send, conversationId } = await setup();
    const d = (itemId: string, firstDelta: number, text: string): IngestEvent => ({ ...delta(firstDelta, text), itemId } as IngestEvent);
    await send(0, [
      { type: "turnStarted", threadId: "th", turnId: "t1", at },
      item("a", "started", { type: "agentMessage", id: "a", text: "" }), item("b", "started", { type: "agentMessage", id: "b", text: "" }),
      item("done", "completed", { type: "agentMessage", id: "done", text: "settled" }),
      d("a", 0, "alpha "), d("b", 0, "beta"), d("a", 1, "more"),
    ]);
    const live = () => t.query(api.messages.listStreaming, { actor, conversationId });
    expect((await live()).map((m) => [m.itemId, m.text, m.nextSegment])).toEqual([["a", "alpha more", null], ["b", "beta", null]]);
    // past its first page (8 segments), the rest is read with getMessageSegments from nextSegment
    const full = "x".repeat(SEGMENT_MAX_CHARS);
    await send(7, Array.from({ length: 8 }, (_, i) => d("b", 1 + i, full)));
    const b = (await live())[1];
    expect([b.nextSegment, b.text.length]).toEqual([8, 8 * SEGMENT_MAX_CHARS]);
    await send(15, [item("a", "completed", { type: "agentMessage", id: "a", text: "alpha more" })]);
    expect((await live()).map((m) => m.itemId)).toEqual(["b"]);
    expect(await t.query(api.messages.listStreaming, { actor: "issuer|mallory", conversationId })).toEqual([]);
  });

  it("text that replaces a streaming message's (an item update) keeps its deltas counted: the stream goes on from them", async () => {
    const { t, send, messages } = await setup();
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }),
      delta(0, "a".repeat(SEGMENT_MAX_CHARS)), delta(1, "b".repeat(20), 3), delta(4, "c", 2)]); // two segments, 6 deltas
    const updated = { ...item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "short" }), phase: "updated" } as IngestEvent;
    await send(5, [updated]); // one segment now
    await send(6, [delta(4, "c", 2)]); // re-sent: a duplicate, not a gap
    await send(7, [delta(6, "!")]);
    expect((await messages())[0]).toMatchObject({ status: "streaming", text: "short!" });
    await send(8, [{ type: "turnCompleted", threadId: "th", turnId: "t1", status: "interrupted", at }]);
    const row = await t.run(async (ctx) => (await ctx.db.query("messages").collect())[0]);
    expect(row).toMatchObject({ status: "interrupted", deltaCount: 7, textBytes: 6, segmentCount: 1 });
  });

  it("a message streaming across an upgrade (its row counted every delta, its segments no bytes) goes on and ends with its exact length", async () => {
    const { t, send, messages } = await setup();
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }),
      delta(0, "é".repeat(SEGMENT_MAX_CHARS)), delta(1, "ab", 2)]);
    // as an earlier build left it: the row's counts current, the last segment's credited to the first it touched
    await t.run(async (ctx) => {
      const m = (await ctx.db.query("messages").collect())[0];
      await ctx.db.patch("messages", m._id, { deltaCount: 3, textBytes: 2 * SEGMENT_MAX_CHARS + 2 });
      for (const seg of await ctx.db.query("message_segments").collect()) {
        await ctx.db.patch("message_segments", seg._id, { closedBytes: undefined, ...(seg.segment === 1 ? { firstDelta: 1, deltaCount: 0 } : {}) });
      }
    });
    await send(4, [delta(3, "c")]);
    expect((await messages())[0].text.endsWith("abc")).toBe(true);
    await send(5, [{ type: "turnCompleted", threadId: "th", turnId: "t1", status: "failed", at }]);
    const row = await t.run(async (ctx) => (await ctx.db.query("messages").collect())[0]);
    expect(row).toMatchObject({ status: "failed", deltaCount: 4, textBytes: 2 * SEGMENT_MAX_CHARS + 3 });
  });

  it("a delta writes only the message's segments (a list or view does not re-run), and is counted exactly once across segments", async () => {
    const { t, send, listed, messages } = await setup();
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" }), delta(0, "a")]);
    const row = async () => t.run(async (ctx) => (await ctx.db.query("messages").collect())[0]);
    const before = await row();
    await send(3, [delta(1, "a".repeat(SEGMENT_MAX_CHARS - 3)), delta(2, "b")]);
    expect(await row()).toEqual(before); // the row is written when a segment is added, not at every delta
    // a batch that fills the last segment and opens two more: the row is written once, with the length then
    const long = "c".repeat(SEGMENT_MAX_CHARS + 5);
    await send(5, [delta(3, "d"), delta(4, long, 3)]);
    const grown = await row();
    expect(grown).toMatchObject({ segmentCount: 3, deltaCount: 7, textBytes: 2 * SEGMENT_MAX_CHARS + 5 });
    // re-sent deltas are duplicates; a gap names where the message stands (the last segment's count)
    await send(7, [delta(4, long, 3)]);
    const gap = send(8, [delta(9, "z")]);
    await expect(gap).rejects.toThrow(/E_INGEST_DELTA_GAP/);
    await send(8, [delta(7, "e")]);
    const text = (await messages())[0].text;
    expect(text === "a".repeat(SEGMENT_MAX_CHARS - 2) + "b" + "d" + long + "e").toBe(true);
    expect((await listed())[0].text).toBe("");
    await send(9, [{ type: "turnCompleted", threadId: "th", turnId: "t1", status: "interrupted", at }]);
    expect(await row()).toMatchObject({ status: "interrupted", deltaCount: 8, textBytes: text.length });
  });
});

describe("items", () => {
  it("an item split into parts is stored whole, never truncated", async () => {
    const { t, send } = await setup();
    const output = "o".repeat(600_000);
    const json = JSON.stringify({ type: "commandExecution", id: "call_1", command: "cat big", aggregatedOutput: output, status: "completed" });
    const parts = [json.slice(0, 250_000), json.slice(250_000, 500_000), json.slice(500_000)];
    await send(0, parts.map((data, part) => ({ type: "item" as const, threadId: "th", turnId: "t1", itemId: "call_1", phase: "completed" as const, itemType: "commandExecution", part, partCount: 3, data, at })));
    const turn = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "t1" });
    if (!turn.found) throw new Error("turn missing");
    expect(turn.items[0].json).toBe(json);
  });

  it("a part over the limit is refused with a code", async () => {
    const { send } = await setup();
    const data = "z".repeat(300_000);
    await expect(send(0, [{ type: "item", threadId: "th", turnId: "t1", itemId: "i", phase: "completed", itemType: "x", part: 0, partCount: 1, data, at }]))
      .rejects.toThrow(/E_INGEST_PART_TOO_LARGE/);
  });

  it("a turn's end orders the items Codex kept as Codex lists them, live-only ones staying where they were seen", async () => {
    const { t, send, listed } = await setup();
    // plan mode: the answer begins, the plan begins and ends inside it, the answer ends; Codex lists the plan first
    const answer = { type: "agentMessage", id: "msg_1", text: "Here is the plan.\nSay go." };
    const plan = { type: "plan", id: "t1-plan", text: "# Plan\n- a\n" };
    const gone = { type: "commandExecution", id: "call_1", command: "ls", aggregatedOutput: "", status: "declined" };
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at },
      item("u1", "completed", { type: "userMessage", id: "u1", content: [{ type: "text", text: "plan it" }] }),
      item("msg_1", "started", { ...answer, text: "" }), item("call_1", "completed", gone),
      item("t1-plan", "started", { ...plan, text: "" }), item("t1-plan", "completed", plan), item("msg_1", "completed", answer)]);
    const order = async () => {
      const turn = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "t1" });
      if (!turn.found) throw new Error("turn missing");
      return turn.items.map((i) => [i.itemId, i.ordinal, i.liveOnly]);
    };
    expect(await order()).toEqual([["u1", 0, false], ["msg_1", 1, false], ["call_1", 2, false], ["t1-plan", 3, false]]);
    await send(7, [{ type: "turnCompleted", threadId: "th", turnId: "t1", status: "completed", codexItems: ["u1", "t1-plan", "msg_1"], at }]);
    expect(await order()).toEqual([["u1", 0, false], ["t1-plan", 1, false], ["call_1", 2, true], ["msg_1", 3, false]]);
    expect((await listed()).map((m) => m.itemId)).toEqual(["msg_1", "call_1", "t1-plan", "u1"]); // newest first
  });

  it("events for a thread not bound to the conversation are refused", async () => {
    const { send } = await setup();
    await expect(send(0, [{ type: "turnStarted", threadId: "other", turnId: "t1", at }])).rejects.toThrow(/E_INGEST_THREAD_NOT_BOUND/);
  });
});

describe("server requests", () => {
  it("pending → answered by the owner once; the turn's end expires the rest", async () => {
    const { t, send, conversationId } = await setup();
    await send(0, [
      { type: "serverRequest", threadId: "th", turnId: "t1", itemId: "call_1", requestId: "0", method: "item/commandExecution/requestApproval", paramsJson: "{}", at },
      { type: "serverRequest", threadId: "th", turnId: "t1", requestId: "1", method: "item/fileChange/requestApproval", paramsJson: "{}", at },
    ]);
    expect(await t.query(api.requests.listPending, { actor, conversationId })).toHaveLength(2);
    await expect(t.mutation(api.requests.respond, { actor: "issuer|bob", threadId: "th", turnId: "t1", requestId: "0", decision: "accept" })).rejects.toThrow(/E_REQUEST_NOT_FOUND/);
    const r = await t.mutation(api.requests.respond, { actor, threadId: "th", turnId: "t1", requestId: "0", decision: "accept" });
    expect(r).toMatchObject({ decisionJson: JSON.stringify({ decision: "accept" }), answeredBy: actor, status: "pending" });
    await expect(t.mutation(api.requests.respond, { actor, threadId: "th", turnId: "t1", requestId: "0", decision: "decline" })).rejects.toThrow(/E_REQUEST_ALREADY_ANSWERED/);
    // the same answer again (a client repeating it after a lost answer) answers the same, changing nothing
    expect(await t.mutation(api.requests.respond, { actor, threadId: "th", turnId: "t1", requestId: "0", decision: "accept" })).toEqual(r);
    await send(2, [{ type: "serverRequestResolved", threadId: "th", turnId: "t1", requestId: "0", at }, { type: "turnCompleted", threadId: "th", turnId: "t1", status: "completed", at }]);
    expect(await t.query(api.requests.listPending, { actor, conversationId })).toEqual([]);
    expect(await t.query(api.requests.get, { actor, threadId: "th", turnId: "t1", requestId: "1" })).toMatchObject({ status: "expired" });
    // once resolved, a repeat of the answer that was given still answers with the request; an expired one is refused
    expect(await t.mutation(api.requests.respond, { actor, threadId: "th", turnId: "t1", requestId: "0", decision: "accept" })).toMatchObject({ status: "answered", decisionJson: r.decisionJson });
    await expect(t.mutation(api.requests.respond, { actor, threadId: "th", turnId: "t1", requestId: "1", decision: "accept" })).rejects.toThrow(/E_REQUEST_ALREADY_ANSWERED/);
  });

  it("a turn's end expires its own pending requests only, however many other turns have pending ones", async () => {
    const { t, send } = await setup();
    const others = Array.from({ length: 300 }, (_, i) => ({ type: "serverRequest", threadId: "th", turnId: "t0", requestId: `o${i}`, method: "item/fileChange/requestApproval", paramsJson: "{}", at }));
    const all = [...others, { type: "serverRequest", threadId: "th", turnId: "t1", requestId: "mine", method: "item/fileChange/requestApproval", paramsJson: "{}", at }];
    for (let seq = 0; seq < all.length; seq += 200) await send(seq, all.slice(seq, seq + 200) as IngestEvent[]);
    await send(all.length, [{ type: "turnCompleted", threadId: "th", turnId: "t1", status: "completed", at }]);
    expect(await t.query(api.requests.get, { actor, threadId: "th", turnId: "t1", requestId: "mine" })).toMatchObject({ status: "expired" });
    expect(await t.query(api.requests.get, { actor, threadId: "th", turnId: "t0", requestId: "o299" })).toMatchObject({ status: "pending" });
  });

  it("params over their bound are refused and nothing of the batch is stored; clipped ones say so", async () => {
    const { t, send, conversationId } = await setup();
    const request = (requestId: string, paramsJson: string, paramsClipped?: boolean): IngestEvent => ({
      type: "serverRequest", threadId: "th", turnId: "t1", requestId, method: "item/commandExecution/requestApproval", paramsJson, ...(paramsClipped === undefined ? {} : { paramsClipped }), at,
    });
    const over = JSON.stringify({ command: "x".repeat(SERVER_REQUEST_PARAMS_MAX_CHARS) });
    await expect(send(0, [request("fine", "{}"), request("big", over)])).rejects.toThrow(/E_INGEST_REQUEST_TOO_LARGE/);
    expect(await t.query(api.requests.listPending, { actor, conversationId })).toEqual([]);
    await send(0, [request("whole", "{}"), request("cut", JSON.stringify({ command: "x…" }), true)]);
    const pending = await t.query(api.requests.listPending, { actor, conversationId });
    expect(pending.map((r) => [r.requestId, r.paramsClipped])).toEqual([["whole", false], ["cut", true]]);
  });

  it("listPending is [] for a missing conversation", async () => {
    const t = initConvexTest();
    expect(await t.query(api.requests.listPending, { actor, conversationId: "missing" })).toEqual([]);
  });
});

describe("token usage", () => {
  it("keeps the latest report per turn", async () => {
    const { t, send, conversationId } = await setup();
    const usage = (total: number): IngestEvent => ({ type: "tokenUsage", threadId: "th", turnId: "t1", totalTokens: total, inputTokens: 1, cachedInputTokens: 0, outputTokens: 1, reasoningOutputTokens: 0, lastTotalTokens: total, at });
    await send(0, [usage(18), usage(36)]);
    const u = await t.query(api.tokenUsage.get, { actor, conversationId });
    expect(u.latest?.totalTokens).toBe(36);
    expect(u.recent).toHaveLength(1);
  });
});

describe("turn plans", () => {
  const plan = (at: number, steps: Array<[string, "pending" | "inProgress" | "completed"]>, turnId = "t1", explanation: string | null = null): IngestEvent => ({
    type: "turnPlan", threadId: "th", turnId, explanation, steps: steps.map(([step, status]) => ({ step, status })), truncated: false, at,
  });
  const turnPlan = async (t: ReturnType<typeof initConvexTest>, turnId: string) => {
    const r = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId });
    return r.found ? r.turn.plan : undefined;
  };

  it("keeps the latest plan on its turn; the conversation view shows the latest turn's", async () => {
    const { t, send, conversationId } = await setup();
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, plan(at + 1, [["read", "inProgress"], ["fix", "pending"]], "t1", "first")]);
    await send(2, [plan(at + 2, [["read", "completed"], ["fix", "inProgress"]])]);
    expect(await turnPlan(t, "t1")).toEqual({ explanation: null, steps: [{ step: "read", status: "completed" }, { step: "fix", status: "inProgress" }], truncated: false, updatedAt: at + 2 });
    const view = async () => { const v = await t.query(api.views.conversationView, { actor, conversationId }); return v.found ? v.plan : undefined; };
    expect((await view())?.turnId).toBe("t1");
    expect((await view())?.steps.map((s) => s.status)).toEqual(["completed", "inProgress"]);
    // a new turn without a plan: the view shows none (the old turn keeps its own)
    await send(3, [{ type: "turnStarted", threadId: "th", turnId: "t2", at: at + 3 }]);
    expect(await view()).toBeNull();
    expect((await turnPlan(t, "t1"))?.steps).toHaveLength(2);
  });

  it("does not let an older update arriving late replace a newer one", async () => {
    const { t, send } = await setup();
    await send(0, [plan(at + 5, [["new", "completed"]])]);
    await send(1, [plan(at + 4, [["old", "pending"]])]);
    expect((await turnPlan(t, "t1"))?.steps).toEqual([{ step: "new", status: "completed" }]);
  });

  it("refuses a plan over its bounds and stores nothing of the batch", async () => {
    const { t, send } = await setup();
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }]);
    const many = Array.from({ length: 51 }, (_, i): [string, "pending"] => [`s${i}`, "pending"]);
    await expect(send(1, [plan(at + 1, [["ok", "pending"]]), plan(at + 2, many)])).rejects.toThrow(/E_INGEST_PLAN_TOO_LARGE/);
    await expect(send(1, [plan(at + 1, [["x".repeat(501), "pending"]])])).rejects.toThrow(/E_INGEST_PLAN_TOO_LARGE/);
    await expect(send(1, [plan(at + 1, [["ok", "pending"]], "t1", "y".repeat(2001))])).rejects.toThrow(/E_INGEST_PLAN_TOO_LARGE/);
    expect(await turnPlan(t, "t1")).toBeNull();
  });
});

describe("notices", () => {
  const notice = (at: number, kind: string, message: string, turnId?: string): IngestEvent => ({ type: "lifecycle", threadId: "th", turnId, kind, message, at });
  it("the view carries the newest three, newest first", async () => {
    const { t, send, conversationId } = await setup();
    await send(0, [notice(at + 1, "error", "stream lost", "t1"), notice(at + 2, "warning", "context nearly full"), notice(at + 3, "error", "gave up", "t1"), notice(at + 4, "warning", "rerouted")]);
    const v = await t.query(api.views.conversationView, { actor, conversationId });
    expect(v.found && v.notices.map((n) => [n.kind, n.message, n.turnId])).toEqual([["warning", "rerouted", null], ["error", "gave up", "t1"], ["warning", "context nearly full", null]]);
  });

  it("refuses a notice over its bounds and stores nothing of the batch", async () => {
    const { t, send, conversationId } = await setup();
    await expect(send(0, [notice(at, "warning", "fine"), notice(at, "warning", "x".repeat(NOTICE_MAX_CHARS + 1))])).rejects.toThrow(/E_INGEST_NOTICE_TOO_LARGE/);
    await expect(send(0, [{ type: "lifecycle", threadId: "th", kind: "error", message: "m", detailsJson: "y".repeat(NOTICE_DETAILS_MAX_CHARS + 1), at }])).rejects.toThrow(/E_INGEST_NOTICE_TOO_LARGE/);
    const v = await t.query(api.views.conversationView, { actor, conversationId });
    expect(v.found && v.notices).toEqual([]);
  });
});

describe("thread goals", () => {
  const goal = (objective: string, status: "active" | "complete", tokensUsed: number) => ({
    objective, status, tokenBudget: null, tokensUsed, timeUsedSeconds: 1, createdAt: 1_700_000_000, updatedAt: 1_700_000_001,
  });

  it("the view carries the thread's goal as Codex last reported it, and none once cleared", async () => {
    const { t, send, conversationId } = await setup();
    const view = async () => { const v = await t.query(api.views.conversationView, { actor, conversationId }); return v.found ? v.goal : "missing"; };
    expect(await view()).toBeNull();
    await send(0, [{ type: "threadGoal", threadId: "th", goal: goal("ship it", "active", 10), at }]);
    await send(1, [{ type: "threadGoal", threadId: "th", goal: goal("ship it", "complete", 42), at: at + 1 }]);
    expect(await view()).toEqual(goal("ship it", "complete", 42));
    await send(2, [{ type: "threadGoal", threadId: "th", goal: null, at: at + 2 }]);
    expect(await view()).toBeNull();
  });

  it("refuses an objective over its bound and stores nothing of the batch", async () => {
    const { t, send, conversationId } = await setup();
    await expect(send(0, [
      { type: "threadGoal", threadId: "th", goal: goal("fine", "active", 0), at },
      { type: "threadGoal", threadId: "th", goal: goal("x".repeat(GOAL_OBJECTIVE_MAX_CHARS + 1), "active", 0), at },
    ])).rejects.toThrow(/E_INGEST_GOAL_TOO_LARGE/);
    const v = await t.query(api.views.conversationView, { actor, conversationId });
    expect(v.found && v.goal).toBeNull();
  });
});

describe("turn rows stay bounded", () => {
  it("refuses an error field over its bound, and a turn that ends without its own JSON drops the one from its start", async () => {
    const { t, send } = await setup();
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", json: JSON.stringify({ id: "t1", status: "inProgress" }), at }]);
    const end = (message: string): IngestEvent => ({ type: "turnCompleted", threadId: "th", turnId: "t1", status: "failed", error: { message }, at: at + 1 });
    await expect(send(1, [end("x".repeat(8193))])).rejects.toThrow(/E_INGEST_TURN_ERROR_TOO_LARGE/);
    await send(1, [end("x".repeat(8192))]);
    const r = await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "t1" });
    expect(r.found && [r.turn.status, r.turn.json, r.turn.error?.message.length]).toEqual(["failed", null, 8192]);
  });

  it("pages listTurns at the count whose rows, at their largest, stay within half of Convex's read limit", async () => {
    const { t, send } = await setup();
    await send(0, Array.from({ length: 30 }, (_, i): IngestEvent => ({ type: "turnStarted", threadId: "th", turnId: `t${i}`, at: at + i })));
    const first = await t.query(api.messages.listTurns, { actor, threadId: "th", paginationOpts: { numItems: 100, cursor: null } });
    expect(first.page.length).toBe(23);
    expect(first.isDone).toBe(false);
    const rest = await t.query(api.messages.listTurns, { actor, threadId: "th", paginationOpts: { numItems: 100, cursor: first.continueCursor } });
    expect([...first.page, ...rest.page].map((x) => x.ordinal)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});

describe("the conversation row under live streaming", () => {
  afterEach(() => vi.useRealTimers());

  it("is not rewritten by every batch: only on a state change, a turn start, or when its activity time is 10 s stale", async () => {
    vi.useFakeTimers();
    const { t, conversationId, send } = await setup();
    const row = async () => (await t.run(async (ctx) => await ctx.db.get("conversations", conversationId as never))) as { updatedAt: number; syncState: string; _id: string };
    await send(0, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, item("msg_1", "started", { type: "agentMessage", id: "msg_1", text: "" })]);
    const first = await row();
    expect(first.syncState).toBe("synced");
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(100);
      await send(2 + i, [delta(i, "x")]);
    }
    expect((await row()).updatedAt).toBe(first.updatedAt); // 20 batches in 2 s: the row untouched
    vi.advanceTimersByTime(10_000);
    await send(22, [delta(20, "y")]);
    const stale = (await row()).updatedAt;
    expect(stale).toBeGreaterThan(first.updatedAt);
    vi.advanceTimersByTime(100);
    await send(23, [{ type: "turnStarted", threadId: "th", turnId: "t2", at }]);
    expect((await row()).updatedAt).toBeGreaterThan(stale);
  });
});

describe("thread metadata", () => {
  it("the thread's name becomes the conversation's title, and follows renames, unless the title was set by hand", async () => {
    const { t, conversationId, send } = await setup();
    const title = async () => {
      const got = await t.query(api.conversations.get, { actor, conversationId });
      return got.found ? got.conversation.title : undefined;
    };
    await send(0, [{ type: "threadMeta", threadId: "th", name: "Fix the flaky test", at }]);
    expect(await title()).toBe("Fix the flaky test");
    await send(1, [{ type: "threadMeta", threadId: "th", name: "Fix the flaky test (done)", at }]);
    expect(await title()).toBe("Fix the flaky test (done)");
    const other = await t.mutation(api.conversations.create, { actor, title: "Mine" });
    const open = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th2", conversationId: other.conversationId });
    await t.mutation(api.ingest.ingestBatch, { actor, conversationId: open.conversation.conversationId, streamId: "s", seq: 0, events: [{ type: "threadMeta", threadId: "th2", name: "Codex's name", at }] });
    const mine = await t.query(api.conversations.get, { actor, conversationId: other.conversationId });
    expect(mine.found && mine.conversation.title).toBe("Mine");
  });

  it("a sub-agent's conversation links to its parent's, which lists it and shows its pending requests", async () => {
    const { t, conversationId, send } = await setup();
    await send(0, [{ type: "threadMeta", threadId: "th", at }]);
    const child = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "agent-1", title: "Sagan: check" });
    const agentId = child.conversation.conversationId;
    const sendAgent = (seq: number, events: IngestEvent[]) => t.mutation(api.ingest.ingestBatch, { actor, conversationId: agentId, streamId: "agent", seq, events });
    await sendAgent(0, [
      { type: "threadMeta", threadId: "agent-1", parentThreadId: "th", at },
      { type: "turnStarted", threadId: "agent-1", turnId: "a1", at },
      { type: "serverRequest", threadId: "agent-1", turnId: "a1", requestId: "r1", method: "item/commandExecution/requestApproval", paramsJson: "{}", at: at + 1 },
    ]);
    const got = await t.query(api.conversations.get, { actor, conversationId: agentId });
    expect(got.found && got.conversation.parentConversationId).toBe(conversationId);
    expect((await t.query(api.conversations.listAgents, { actor, conversationId })).map((c) => c.conversationId)).toEqual([agentId]);
    expect(await t.query(api.conversations.listAgents, { actor, conversationId: agentId })).toEqual([]);
    // the parent's own request first (oldest first), then the agent's; each names its conversation
    await send(1, [{ type: "turnStarted", threadId: "th", turnId: "t1", at }, { type: "serverRequest", threadId: "th", turnId: "t1", requestId: "r0", method: "item/fileChange/requestApproval", paramsJson: "{}", at }]);
    const pending = await t.query(api.requests.listPending, { actor, conversationId });
    expect(pending.map((r) => [r.requestId, r.conversationId])).toEqual([["r0", conversationId], ["r1", agentId]]);
    expect((await t.query(api.requests.listPending, { actor, conversationId: agentId })).map((r) => r.requestId)).toEqual(["r1"]);
    const view = await t.query(api.views.conversationView, { actor, conversationId });
    expect(view.found && view.pendingRequests.map((r) => r.requestId)).toEqual(["r0", "r1"]);
  });

  it("a sub-agent that arrives before its parent (an import goes newest first) is linked when the parent comes", async () => {
    const t = initConvexTest();
    const open = async (threadId: string) => (await t.mutation(api.conversations.syncOpenBinding, { actor, threadId })).conversation.conversationId;
    const agentId = await open("agent-1");
    await t.mutation(api.ingest.ingestBatch, { actor, conversationId: agentId, streamId: "s", seq: 0, events: [{ type: "threadMeta", threadId: "agent-1", parentThreadId: "th", at }] });
    let got = await t.query(api.conversations.get, { actor, conversationId: agentId });
    expect(got.found && got.conversation.parentConversationId).toBeNull();
    const parentId = await open("th");
    await t.mutation(api.ingest.ingestBatch, { actor, conversationId: parentId, streamId: "s", seq: 0, events: [{ type: "threadMeta", threadId: "th", at }] });
    got = await t.query(api.conversations.get, { actor, conversationId: agentId });
    expect(got.found && got.conversation.parentConversationId).toBe(parentId);
    expect((await t.query(api.conversations.listAgents, { actor, conversationId: parentId })).map((c) => c.conversationId)).toEqual([agentId]);
  });

  it("a name at its bound still follows renames; over its bound, or a cwd over its own, is refused and nothing changes", async () => {
    const { t, conversationId, send } = await setup();
    const title = async () => {
      const got = await t.query(api.conversations.get, { actor, conversationId });
      return got.found ? got.conversation.title : undefined;
    };
    const long = "n".repeat(TITLE_MAX_CHARS);
    await send(0, [{ type: "threadMeta", threadId: "th", name: long, at }]);
    await send(1, [{ type: "threadMeta", threadId: "th", name: "Renamed", at }]);
    expect(await title()).toBe("Renamed");
    await expect(send(2, [{ type: "threadMeta", threadId: "th", name: "x".repeat(TITLE_MAX_CHARS + 1), at }])).rejects.toThrow(/E_INGEST_THREAD_META_TOO_LARGE/);
    await expect(send(2, [{ type: "threadMeta", threadId: "th", name: "Other", at }, { type: "threadMeta", threadId: "th", cwd: "/".repeat(THREAD_FIELD_MAX_CHARS + 1), at }])).rejects.toThrow(/E_INGEST_THREAD_META_TOO_LARGE/);
    expect(await title()).toBe("Renamed");
  });
});
