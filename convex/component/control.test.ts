import { describe, expect, it } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest } from "../testing/component.js";

const alice = "issuer|alice";
const bob = "issuer|bob";

describe("interrupt requests", () => {
  it("one unhandled request per conversation; the host marks it once; the newest is what the host sees", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th" });
    const conversationId = conversation.conversationId;
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toBeNull();
    const first = await t.mutation(api.control.requestInterrupt, { actor: alice, conversationId });
    expect(await t.mutation(api.control.requestInterrupt, { actor: alice, conversationId })).toEqual(first); // pressed twice
    expect(first).toMatchObject({ conversationId, handledAt: null, outcome: null });
    const handled = await t.mutation(api.control.markInterruptHandled, { actor: alice, requestId: first.requestId, outcome: "interrupted" });
    expect(handled).toMatchObject({ requestId: first.requestId, outcome: "interrupted" });
    expect((await t.mutation(api.control.markInterruptHandled, { actor: alice, requestId: first.requestId, outcome: "idle" })).outcome).toBe("interrupted");
    const second = await t.mutation(api.control.requestInterrupt, { actor: alice, conversationId });
    expect(second.requestId).not.toBe(first.requestId);
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toEqual(second);
    // another user sees none and can neither ask nor mark
    expect(await t.query(api.control.getInterruptRequest, { actor: bob, conversationId })).toBeNull();
    await expect(t.mutation(api.control.requestInterrupt, { actor: bob, conversationId })).rejects.toThrow(/E_CONVERSATION_NOT_FOUND/);
    await expect(t.mutation(api.control.markInterruptHandled, { actor: bob, requestId: second.requestId, outcome: "idle" })).rejects.toThrow(/E_INTERRUPT_NOT_FOUND/);
  });
});

describe("goal resume requests", () => {
  it("a resume is a request of its own; a newer request of the other kind supersedes an unhandled one", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th" });
    const conversationId = conversation.conversationId;
    const stop = await t.mutation(api.control.requestInterrupt, { actor: alice, conversationId });
    expect(stop.action).toBe("interrupt");
    const resume = await t.mutation(api.control.requestGoalResume, { actor: alice, conversationId });
    expect(resume).toMatchObject({ action: "resumeGoal", handledAt: null, outcome: null });
    expect(await t.mutation(api.control.requestGoalResume, { actor: alice, conversationId })).toEqual(resume); // pressed twice
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toEqual(resume);
    // the stop nobody handled is not dropped silently: it says it was superseded
    const marked = await t.mutation(api.control.markInterruptHandled, { actor: alice, requestId: stop.requestId, outcome: "interrupted" });
    expect(marked.outcome).toBe("superseded");
    expect((await t.mutation(api.control.markInterruptHandled, { actor: alice, requestId: resume.requestId, outcome: "resumed" })).outcome).toBe("resumed");
    await expect(t.mutation(api.control.requestGoalResume, { actor: bob, conversationId })).rejects.toThrow(/E_CONVERSATION_NOT_FOUND/);
  });
});

describe("a request no host saw", () => {
  it("is marked stale when a host binds the conversation; one made after the bind is the host's", async () => {
    const t = initConvexTest();
    const session = await t.mutation(api.presence.open, { actor: alice, hostId: "h", label: "laptop", version: "1" });
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th" });
    const conversationId = conversation.conversationId;
    const early = await t.mutation(api.control.requestInterrupt, { actor: alice, conversationId });
    await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th", hostSessionId: session.sessionId });
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toMatchObject({ requestId: early.requestId, outcome: "stale" });
    const late = await t.mutation(api.control.requestInterrupt, { actor: alice, conversationId });
    expect(late).toMatchObject({ handledAt: null, outcome: null });
    await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th" }); // a bind without a host: nothing changes
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toMatchObject({ requestId: late.requestId, outcome: null });
  });
});
