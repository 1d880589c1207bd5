import { describe, expect, test } from "vitest";
import type { Conversation, DeletionJob, Message, SyncJob } from "./api.gen.js";
import { deletionProgress, joinSegmentPages, mergeMessages, optimisticDeletion, pendingSends, syncProgress, turnStates, withOlder, withStreamingText, type OptimisticMessage } from "./merge.js";

const T0 = 1_700_000_000_000;

function msg(over: Partial<Message>): Message {
  return {
    threadId: "th", turnId: "t1", itemId: "i1", turnOrdinal: 0, itemOrdinal: 0, role: "assistant", kind: "agentMessage",
    status: "completed", text: "", summary: null, deltaCount: 0, textBytes: 0, textTruncated: false, createdAt: T0, updatedAt: T0,
    ...over,
  };
}
const send = (text: string, at = T0): OptimisticMessage => ({ optimistic: true, role: "user", text, createdAt: at, status: "pending" });

describe("mergeMessages", () => {
  test("durable messages come oldest first; a send not yet durable shows last with an assistant placeholder", () => {
    const newestFirst = [msg({ itemId: "b", itemOrdinal: 1, text: "second" }), msg({ itemId: "a", text: "first", role: "user" })];
    const shown = mergeMessages(newestFirst, [send("hello", T0 + 10)]);
    expect(shown.map((m) => m.text)).toEqual(["first", "second", "hello", ""]);
    expect(shown.slice(2).map((m) => [m.role, m.optimistic])).toEqual([["user", true], ["assistant", true]]);
  });

  test("a send gives way to its durable user message, also when the durable text is cut to its beginning", () => {
    const long = "x".repeat(20_000);
    const durable = [msg({ role: "user", text: "hello", createdAt: T0 + 20 }), msg({ role: "user", itemId: "l", text: long.slice(0, 16_384), textTruncated: true, createdAt: T0 + 30 })];
    expect(pendingSends(durable, [send("hello", T0 + 10), send(long, T0 + 10)])).toEqual([]);
  });

  test("an older user message with the same text does not answer a new send", () => {
    const durable = [msg({ role: "user", text: "again", createdAt: T0 })];
    const left = pendingSends(durable, [send("again", T0 + 60_000)]);
    expect(left.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  test("streaming text is whatever the latest view carries: a newer view replaces the message, never appends twice", () => {
    const first = mergeMessages([msg({ text: "Hel", status: "streaming", deltaCount: 1 })], []);
    const second = mergeMessages([msg({ text: "Hello wor", status: "streaming", deltaCount: 3 })], []);
    expect([first[0].text, second[0].text]).toEqual(["Hel", "Hello wor"]);
    expect(second).toHaveLength(1);
  });
});

describe("turnStates", () => {
  test("a turn runs while any message streams; failed and interrupted show; turns in order", () => {
    const shown = mergeMessages([
      msg({ turnId: "t3", turnOrdinal: 2, status: "streaming" }),
      msg({ turnId: "t3", turnOrdinal: 2, itemId: "x", status: "completed" }),
      msg({ turnId: "t2", turnOrdinal: 1, status: "interrupted" }),
      msg({ turnId: "t1", turnOrdinal: 0, status: "completed" }),
    ], [send("next")]);
    expect(turnStates(shown).map((t) => [t.turnId, t.state, t.messages])).toEqual([["t1", "completed", 1], ["t2", "interrupted", 1], ["t3", "running", 2]]);
  });
});

const conversation: Conversation = {
  conversationId: "c", title: null, preview: null, status: "active", threadId: "th", syncState: "syncing", activeSyncJobId: "j",
  createdAt: T0, updatedAt: T0, forkedFromConversationId: null, parentConversationId: null,
};
function job(over: Partial<SyncJob>): SyncJob {
  return {
    jobId: "j", sourceId: "s", conversationId: "c", state: "running", publicState: "syncing", totalChunks: 2, totalRecords: 20,
    totalBytes: 1000, processedChunks: 1, processedRecords: 12, verifiedRecords: 12, attempts: 1, lastError: null,
    maxStepBytesRead: 0, label: "12/20 synced", createdAt: T0, updatedAt: T0, startedAt: T0, finishedAt: null, ...over,
  };
}

describe("syncProgress", () => {
  test("a job gives counts, its label and the bar's fraction", () => {
    expect(syncProgress(conversation, job({}))).toEqual({ syncedCount: 12, totalCount: 20, syncState: "syncing", label: "12/20 synced", fraction: 0.6 });
    expect(syncProgress(conversation, job({ publicState: "synced", processedRecords: 20, label: "20/20 synced" })).fraction).toBe(1);
  });
  test("without a job the conversation's own state shows", () => {
    expect(syncProgress({ ...conversation, syncState: "unsynced" }, null)).toMatchObject({ label: "nothing to sync", fraction: 0, totalCount: 0 });
  });
});

describe("joinSegmentPages", () => {
  test("pages join in order; a page still loading ends the text there (no gap)", () => {
    const p0 = { found: true as const, fromSegment: 0, text: "aaa", nextSegment: 8 };
    const p8 = { found: true as const, fromSegment: 8, text: "bbb", nextSegment: null };
    expect(joinSegmentPages([p0, p8])).toEqual({ text: "aaabbb", complete: true, next: null });
    expect(joinSegmentPages([p0, undefined])).toEqual({ text: "aaa", complete: false, next: null });
    expect(joinSegmentPages([p0])).toEqual({ text: "aaa", complete: false, next: 8 });
    expect(joinSegmentPages([{ found: false }])).toEqual({ text: "", complete: true, next: null });
  });
});

describe("optimisticDeletion", () => {
  const scheduled: DeletionJob = {
    jobId: "d", target: { kind: "thread", threadId: "th" }, phase: "scheduled", runAt: T0 + 600_000, counts: {}, deleted: 0,
    createdAt: T0, updatedAt: T0, finishedAt: null, error: null,
  };
  test("cancel shows cancelled at once; force-run shows it due now", () => {
    expect(optimisticDeletion(scheduled, "cancel", T0 + 5)).toMatchObject({ phase: "cancelled", finishedAt: T0 + 5 });
    expect(optimisticDeletion(scheduled, "forceRun", T0 + 5)).toMatchObject({ phase: "scheduled", runAt: T0 + 5 });
  });
  test("a job past its grace period is left as it is (the server refuses; no false hope)", () => {
    const running = { ...scheduled, phase: "running" as const };
    expect(optimisticDeletion(running, "cancel", T0)).toBe(running);
    expect(deletionProgress({ ...scheduled, phase: "completed", deleted: 42 })).toMatchObject({ done: true, deleted: 42, label: "completed: 42 rows deleted" });
  });
});

describe("withOlder", () => {
  test("older pages join before the view, each message once (the view's live copy wins), in conversation order", () => {
    const view = mergeMessages([msg({ turnId: "t2", turnOrdinal: 1, itemId: "b", text: "live text", status: "streaming" }), msg({ turnId: "t1", turnOrdinal: 0, itemId: "a", itemOrdinal: 1 })], [send("next")]);
    const olderNewestFirst = [
      msg({ turnId: "t2", turnOrdinal: 1, itemId: "b", text: "stale" }),
      msg({ turnId: "t1", turnOrdinal: 0, itemId: "a", itemOrdinal: 1 }),
      msg({ turnId: "t1", turnOrdinal: 0, itemId: "z", itemOrdinal: 0, text: "first" }),
    ];
    const all = withOlder(view, olderNewestFirst);
    expect(all.map((m) => (m.optimistic ? `pending:${m.role}` : `${m.turnId}/${m.itemId}:${m.text}`))).toEqual([
      "t1/z:first", "t1/a:", "t2/b:live text", "pending:user", "pending:assistant",
    ]);
  });
});

describe("withStreamingText", () => {
  test("a streaming message takes its live text from listStreamingMessages; others, and one not listed yet, are left as the view has them", () => {
    const streaming = msg({ itemId: "a1", role: "assistant", status: "streaming", text: "" });
    const done = msg({ itemId: "a0", role: "assistant", status: "completed", text: "earlier" });
    const live = { threadId: "th", turnId: "t1", itemId: "a1", text: "partial answ", nextSegment: null };
    expect(withStreamingText([streaming, done], [live, { ...live, itemId: "a0", text: "stale" }]).map((m) => [m.text, m.textTruncated]))
      .toEqual([["partial answ", false], ["earlier", false]]);
    expect(withStreamingText([streaming], [{ ...live, nextSegment: 8 }])[0].textTruncated).toBe(true);
    expect(withStreamingText([streaming], [])[0].text).toBe("");
    expect(withStreamingText([streaming], undefined)[0].text).toBe("");
  });
});
