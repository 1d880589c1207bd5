import { describe, expect, it, vi } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest } from "../testing/component.js";
import { CLIENT_MESSAGE_MAX_CHARS, MAX_QUEUED_CLIENT_MESSAGES } from "./limits.js";

const alice = "issuer|alice";
const bob = "issuer|bob";

async function hosted(t: ReturnType<typeof initConvexTest>) {
  const session = await t.mutation(api.presence.open, { actor: alice, hostId: "laptop-1", label: "laptop", version: "1", heartbeatMs: 1000, timeoutMs: 60_000 });
  const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th", hostSessionId: session.sessionId });
  return { conversationId: conversation.conversationId, sessionId: session.sessionId };
}

describe("client messages", () => {
  it("queue oldest first for the host, which marks each once; a sender follows its own", async () => {
    const t = initConvexTest();
    const { conversationId } = await hosted(t);
    const first = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "first" });
    const second = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "second" });
    expect(first).toMatchObject({ conversationId, text: "first", state: "queued", turnId: null, handledAt: null });
    expect((await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).map((m) => m.text)).toEqual(["first", "second"]);
    const started = await t.mutation(api.clientMessages.markHandled, { actor: alice, messageId: first.messageId, state: "started", turnId: "turn-1" });
    expect(started).toMatchObject({ state: "started", turnId: "turn-1" });
    // handled once: a second outcome does not overwrite the first
    expect((await t.mutation(api.clientMessages.markHandled, { actor: alice, messageId: first.messageId, state: "stale" })).state).toBe("started");
    expect((await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).map((m) => m.text)).toEqual(["second"]);
    const failed = await t.mutation(api.clientMessages.markHandled, { actor: alice, messageId: second.messageId, state: "failed", error: "Codex went away" });
    expect(await t.query(api.clientMessages.get, { actor: alice, messageId: second.messageId })).toEqual(failed);
    expect(failed).toMatchObject({ state: "failed", error: "Codex went away", turnId: null });
    expect(await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).toEqual([]);
  });

  it("carry whether the sender asked for plan mode, to the host that takes them", async () => {
    const t = initConvexTest();
    const { conversationId } = await hosted(t);
    const plain = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "go" });
    const planned = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "plan it", plan: true });
    expect([plain.plan, planned.plan]).toEqual([false, true]);
    expect((await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).map((m) => [m.text, m.plan])).toEqual([["go", false], ["plan it", true]]);
  });

  it("refuses bad messages with a coded error and stores nothing", async () => {
    const t = initConvexTest();
    const { conversationId } = await hosted(t);
    await expect(t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: " \n " })).rejects.toThrow(/E_CLIENT_MESSAGE_EMPTY/);
    await expect(t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "x".repeat(CLIENT_MESSAGE_MAX_CHARS + 1) })).rejects.toThrow(/E_CLIENT_MESSAGE_TOO_LARGE/);
    await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "x".repeat(CLIENT_MESSAGE_MAX_CHARS) });
    for (let i = 1; i < MAX_QUEUED_CLIENT_MESSAGES; i++) await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: `m${i}` });
    await expect(t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "one too many" })).rejects.toThrow(/E_CLIENT_MESSAGES_QUEUED/);
    expect(await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).toHaveLength(MAX_QUEUED_CLIENT_MESSAGES);
    const [m] = await t.query(api.clientMessages.listQueued, { actor: alice, conversationId });
    await expect(t.mutation(api.clientMessages.markHandled, { actor: alice, messageId: m!.messageId, state: "started" })).rejects.toThrow(/E_CLIENT_MESSAGE_BAD_OUTCOME/);
    await expect(t.mutation(api.clientMessages.markHandled, { actor: alice, messageId: m!.messageId, state: "failed" })).rejects.toThrow(/E_CLIENT_MESSAGE_BAD_OUTCOME/);
    expect((await t.query(api.clientMessages.get, { actor: alice, messageId: m!.messageId }))!.state).toBe("queued");
    // another user sees none, can send none and mark none
    expect(await t.query(api.clientMessages.listQueued, { actor: bob, conversationId })).toEqual([]);
    expect(await t.query(api.clientMessages.get, { actor: bob, messageId: m!.messageId })).toBeNull();
    await expect(t.mutation(api.clientMessages.send, { actor: bob, conversationId, text: "hi" })).rejects.toThrow(/E_CONVERSATION_NOT_FOUND/);
    await expect(t.mutation(api.clientMessages.markHandled, { actor: bob, messageId: m!.messageId, state: "stale" })).rejects.toThrow(/E_CLIENT_MESSAGE_NOT_FOUND/);
  });

  it("only a live host is given messages", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "nobody" });
    await expect(t.mutation(api.clientMessages.send, { actor: alice, conversationId: conversation.conversationId, text: "hi" })).rejects.toThrow(/E_HOST_OFFLINE.*no host has driven/);
    const { conversationId, sessionId } = await hosted(t);
    await t.mutation(api.presence.close, { actor: alice, sessionId });
    await expect(t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "hi" })).rejects.toThrow(/E_HOST_OFFLINE.*stopped/);
    expect(await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).toEqual([]);
  });

  it("a sub-agent's conversation takes none: its tasks come from its parent", async () => {
    const t = initConvexTest();
    const { sessionId } = await hosted(t);
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "agent", hostSessionId: sessionId });
    await t.mutation(api.ingest.ingestBatch, { actor: alice, conversationId: conversation.conversationId, streamId: "s", seq: 0,
      events: [{ type: "threadMeta", threadId: "agent", parentThreadId: "th", at: 1 }] });
    await expect(t.mutation(api.clientMessages.send, { actor: alice, conversationId: conversation.conversationId, text: "hi" })).rejects.toThrow(/E_CLIENT_MESSAGE_TO_AGENT/);
    expect(await t.query(api.clientMessages.listQueued, { actor: alice, conversationId: conversation.conversationId })).toEqual([]);
  });

  it("still queued when a host binds the conversation: stale, so the new host does not run them", async () => {
    const t = initConvexTest();
    const { conversationId, sessionId } = await hosted(t);
    const waiting = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "sent to nobody" });
    await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th", hostSessionId: sessionId });
    expect(await t.query(api.clientMessages.get, { actor: alice, messageId: waiting.messageId })).toMatchObject({ state: "stale", turnId: null });
    expect(await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).toEqual([]);
    const after = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "sent to the new host" });
    expect((await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).map((m) => m.messageId)).toEqual([after.messageId]);
  });

  it("a host takes one once before giving it to Codex; another host binding after that leaves it unconfirmed", async () => {
    const t = initConvexTest();
    const { conversationId, sessionId } = await hosted(t);
    const first = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "first" });
    const second = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "second" });
    const taken = await t.mutation(api.clientMessages.take, { actor: alice, messageId: first.messageId });
    expect(taken).toMatchObject({ state: "taking", turnId: null, handledAt: null });
    expect((await t.query(api.clientMessages.listQueued, { actor: alice, conversationId })).map((m) => m.text)).toEqual(["second"]);
    await expect(t.mutation(api.clientMessages.take, { actor: alice, messageId: first.messageId })).rejects.toThrow(/E_CLIENT_MESSAGE_NOT_QUEUED/);
    // the host that took it, retrying (its answer lost on the way), gets it as it is; any other session does not
    expect(await t.mutation(api.clientMessages.take, { actor: alice, messageId: first.messageId, hostSessionId: sessionId })).toEqual(taken);
    const stranger = await t.mutation(api.presence.open, { actor: alice, hostId: "laptop-3", label: "other", version: "1", heartbeatMs: 1000, timeoutMs: 60_000 });
    await expect(t.mutation(api.clientMessages.take, { actor: alice, messageId: first.messageId, hostSessionId: stranger.sessionId })).rejects.toThrow(/E_HOST_NOT_DRIVING/);
    await expect(t.mutation(api.clientMessages.take, { actor: alice, messageId: second.messageId, hostSessionId: stranger.sessionId })).rejects.toThrow(/E_HOST_NOT_DRIVING/);
    expect((await t.query(api.clientMessages.get, { actor: alice, messageId: second.messageId }))?.state).toBe("queued");
    await expect(t.mutation(api.clientMessages.take, { actor: bob, messageId: second.messageId })).rejects.toThrow(/E_CLIENT_MESSAGE_NOT_FOUND/);
    // the same host binding again (Codex restarted under it) leaves its own taking alone: it marks it itself
    await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th", hostSessionId: sessionId });
    expect((await t.query(api.clientMessages.get, { actor: alice, messageId: first.messageId }))?.state).toBe("taking");
    expect((await t.query(api.clientMessages.get, { actor: alice, messageId: second.messageId }))?.state).toBe("stale");
    const again = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "again" });
    await t.mutation(api.clientMessages.take, { actor: alice, messageId: again.messageId });
    expect((await t.mutation(api.clientMessages.markHandled, { actor: alice, messageId: again.messageId, state: "started", turnId: "t2" })).state).toBe("started");
    // another host binds it: the one taken and never marked may have run, so it says unconfirmed (not stale)
    const other = await t.mutation(api.presence.open, { actor: alice, hostId: "laptop-2", label: "desk", version: "1", heartbeatMs: 1000, timeoutMs: 60_000 });
    await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th", hostSessionId: other.sessionId });
    expect(await t.query(api.clientMessages.get, { actor: alice, messageId: first.messageId })).toMatchObject({ state: "unconfirmed", turnId: null });
    expect((await t.query(api.clientMessages.get, { actor: alice, messageId: again.messageId }))?.state).toBe("started");
    // the old host, late, can neither take nor overwrite it
    expect((await t.mutation(api.clientMessages.markHandled, { actor: alice, messageId: first.messageId, state: "started", turnId: "t9" })).state).toBe("unconfirmed");
  });

  it("go with their conversation when its thread is deleted", async () => {
    const t = initConvexTest();
    const { conversationId } = await hosted(t);
    const sent = await t.mutation(api.clientMessages.send, { actor: alice, conversationId, text: "bye" });
    vi.useFakeTimers();
    try {
      await t.mutation(api.threads.deleteCascade, { actor: alice, threadId: "th" });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
    } finally {
      vi.useRealTimers();
    }
    expect(await t.query(api.clientMessages.get, { actor: alice, messageId: sent.messageId })).toBeNull();
  });
});
