import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest } from "../testing/component.js";

const actor = "issuer|alice";
const at = 1_700_000_000_000;
type T = ReturnType<typeof initConvexTest>;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A host session driving a conversation with a turn in progress: a message streaming, an approval pending. */
async function hostMidTurn(t: T, hostId = "laptop") {
  const session = await t.mutation(api.presence.open, { actor, hostId, label: "laptop", version: "1", heartbeatMs: 1000, timeoutMs: 3000 });
  const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th", hostSessionId: session.sessionId });
  await t.mutation(api.ingest.ingestBatch, {
    actor, conversationId: conversation.conversationId, streamId: "s", seq: 0, events: [
      { type: "turnStarted", threadId: "th", turnId: "t1", at },
      { type: "item", threadId: "th", turnId: "t1", itemId: "m", phase: "started", itemType: "agentMessage", part: 0, partCount: 1, data: JSON.stringify({ type: "agentMessage", id: "m", text: "" }), at },
      { type: "messageDelta", threadId: "th", turnId: "t1", itemId: "m", firstDelta: 0, deltaCount: 1, text: "half a sen", at },
      { type: "serverRequest", threadId: "th", turnId: "t1", requestId: "0", method: "item/commandExecution/requestApproval", paramsJson: "{}", at },
    ] as any,
  });
  return { session, conversationId: conversation.conversationId };
}

const view = (t: T, conversationId: string) => t.query(api.views.conversationView, { actor, conversationId });

/** Let `ms` pass, running whatever becomes due (the session's checks). */
async function pass(t: T, ms: number) {
  vi.advanceTimersByTime(ms);
  await t.finishInProgressScheduledFunctions();
}

describe("host presence", () => {
  it("a host gone silent past its timeout is lost: its turn interrupted (E_HOST_LOST), the stream closed, the approval expired", async () => {
    const t = initConvexTest();
    const { conversationId } = await hostMidTurn(t);
    const taken = await t.mutation(api.clientMessages.send, { actor, conversationId, text: "do this" });
    await t.mutation(api.clientMessages.take, { actor, messageId: taken.messageId }); // and it vanished before marking it
    const untaken = await t.mutation(api.clientMessages.send, { actor, conversationId, text: "are you there?" });
    const before = await view(t, conversationId);
    expect(before).toMatchObject({ host: { online: true, label: "laptop" }, messages: [{ status: "streaming" }], pendingRequests: [{ status: "pending" }] });
    await pass(t, 3500);
    const after = (await view(t, conversationId)) as any;
    expect(after.host).toMatchObject({ online: false });
    expect(after.messages[0].status).toBe("interrupted");
    expect(after.pendingRequests).toEqual([]);
    const turn = (await t.query(api.messages.getTurn, { actor, threadId: "th", turnId: "t1" })) as any;
    expect(turn.turn.status).toBe("interrupted");
    expect(turn.turn.error.message).toMatch(/^E_HOST_LOST/);
    expect(JSON.parse(turn.turn.error.detailsJson)).toMatchObject({ code: "E_HOST_LOST" });
    const req = await t.query(api.requests.get, { actor, threadId: "th", turnId: "t1", requestId: "0" });
    expect(req?.status).toBe("expired");
    // a message it never took says so, instead of waiting for nobody
    expect(await t.query(api.clientMessages.get, { actor, messageId: untaken.messageId })).toMatchObject({ state: "stale" });
    // one it took and never marked may have run: unconfirmed, not a stale that says it did not
    expect(await t.query(api.clientMessages.get, { actor, messageId: taken.messageId })).toMatchObject({ state: "unconfirmed" });
    // idempotent: more checks change nothing
    await pass(t, 10_000);
    expect(await view(t, conversationId)).toEqual(after);
  });

  it("heartbeats keep a host online; pausing shorter than the timeout loses nothing", async () => {
    const t = initConvexTest();
    const { session, conversationId } = await hostMidTurn(t);
    for (let i = 0; i < 10; i++) {
      await pass(t, 1000);
      await t.mutation(api.presence.heartbeat, { actor, sessionId: session.sessionId });
    }
    await pass(t, 2500); // a pause (SIGSTOP) under the 3 s timeout
    expect(await t.mutation(api.presence.heartbeat, { actor, sessionId: session.sessionId })).toMatchObject({ state: "online", revived: false });
    await pass(t, 1000);
    expect(await view(t, conversationId)).toMatchObject({ host: { online: true }, messages: [{ status: "streaming" }], pendingRequests: [{ status: "pending" }] });
  });

  it("a lost host that heartbeats again is online and told it was revived", async () => {
    const t = initConvexTest();
    const { session, conversationId } = await hostMidTurn(t);
    await pass(t, 3500);
    expect(await t.mutation(api.presence.heartbeat, { actor, sessionId: session.sessionId })).toMatchObject({ state: "online", revived: true });
    expect(await view(t, conversationId)).toMatchObject({ host: { online: true } });
    await pass(t, 2000);
    expect(await view(t, conversationId)).toMatchObject({ host: { online: true } }); // its check was rescheduled, not lost again early
  });

  it("a conversation another host took over is never swept by the old one", async () => {
    const t = initConvexTest();
    const { session, conversationId } = await hostMidTurn(t, "old");
    const fresh = await t.mutation(api.presence.open, { actor, hostId: "new", label: "desktop", version: "1", heartbeatMs: 1000, timeoutMs: 60_000 });
    await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "th", hostSessionId: fresh.sessionId });
    await pass(t, 3500);
    expect(await t.mutation(api.presence.close, { actor, sessionId: session.sessionId })).toMatchObject({ state: "ended" });
    expect(await view(t, conversationId)).toMatchObject({ host: { online: true, label: "desktop" }, messages: [{ status: "streaming" }] });
  });

  it("a cleanly closed host is not swept; answering its approval is refused (E_HOST_OFFLINE), nothing written", async () => {
    const t = initConvexTest();
    const { session, conversationId } = await hostMidTurn(t);
    await t.mutation(api.presence.close, { actor, sessionId: session.sessionId });
    await pass(t, 10_000);
    expect(await view(t, conversationId)).toMatchObject({ host: { online: false }, messages: [{ status: "streaming" }] });
    await expect(t.mutation(api.requests.respond, { actor, threadId: "th", turnId: "t1", requestId: "0", decision: "accept" })).rejects.toThrow(/E_HOST_OFFLINE/);
    expect((await t.query(api.requests.get, { actor, threadId: "th", turnId: "t1", requestId: "0" }))?.decisionJson).toBeNull();
    await expect(t.mutation(api.presence.heartbeat, { actor, sessionId: session.sessionId })).rejects.toThrow(/E_HOST_SESSION_ENDED/);
  });

  it("bad input gets its code", async () => {
    const t = initConvexTest();
    await expect(t.mutation(api.presence.open, { actor, hostId: "", label: "x", version: "1" })).rejects.toThrow(/E_HOST_BAD_SESSION/);
    await expect(t.mutation(api.presence.open, { actor, hostId: "h", label: "x", version: "1", heartbeatMs: 1000, timeoutMs: 1500 })).rejects.toThrow(/E_HOST_BAD_SESSION/);
    await expect(t.mutation(api.presence.heartbeat, { actor, sessionId: "nope" })).rejects.toThrow(/E_HOST_SESSION_NOT_FOUND/);
    const s = await t.mutation(api.presence.open, { actor, hostId: "h", label: "x", version: "1" });
    await expect(t.mutation(api.presence.heartbeat, { actor: "issuer|bob", sessionId: s.sessionId })).rejects.toThrow(/E_HOST_SESSION_NOT_FOUND/);
    await expect(t.mutation(api.conversations.syncOpenBinding, { actor: "issuer|bob", threadId: "x", hostSessionId: s.sessionId })).rejects.toThrow(/E_HOST_SESSION_NOT_FOUND/);
  });
});

describe("host presence: one chain of checks", () => {
  it("reopening a session (the same host id) fences off the checks scheduled before", async () => {
    const t = initConvexTest();
    for (let i = 0; i < 5; i++) await t.mutation(api.presence.open, { actor, hostId: "again", label: "x", version: "1", heartbeatMs: 1000, timeoutMs: 3000 });
    const pending = async () => (await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect()))
      .filter((f) => f.name.includes("presence") && f.state.kind === "pending").length;
    expect(await pending()).toBe(5); // scheduled, but only the newest will act
    await pass(t, 3500);
    expect(await pending()).toBe(0); // the four old ones did nothing (no reschedule); the live one found it lost
  });
});
