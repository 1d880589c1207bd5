import { describe, expect, it } from "vitest";
import { api } from "./_generated/api.js";
import { GOAL_OBJECTIVE_MAX_CHARS } from "./limits.js";
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

describe("new goal requests", () => {
  it("carry their objective; the same goal pressed twice is one request, another objective supersedes it", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th" });
    const conversationId = conversation.conversationId;
    const stop = await t.mutation(api.control.requestInterrupt, { actor: alice, conversationId });
    expect(stop.objective).toBeNull();
    const first = await t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: "ship the parser" });
    expect(first).toMatchObject({ action: "setGoal", objective: "ship the parser", handledAt: null, outcome: null });
    expect(await t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: "ship the parser" })).toEqual(first);
    const second = await t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: "ship the lexer" });
    expect(second.requestId).not.toBe(first.requestId);
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toEqual(second);
    // neither the stop nor the first goal is dropped silently: each says it was superseded
    for (const r of [stop, first]) {
      expect((await t.mutation(api.control.markInterruptHandled, { actor: alice, requestId: r.requestId, outcome: "goalSet" })).outcome).toBe("superseded");
    }
    expect((await t.mutation(api.control.markInterruptHandled, { actor: alice, requestId: second.requestId, outcome: "goalSet" })).outcome).toBe("goalSet");
    // a resume after it is a request of its own
    expect((await t.mutation(api.control.requestGoalResume, { actor: alice, conversationId })).action).toBe("resumeGoal");
  });

  it("refuse an empty or too long objective, and another user's conversation, leaving the requests as they were", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th" });
    const conversationId = conversation.conversationId;
    const asked = await t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: "keep" });
    await expect(t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: " \n " })).rejects.toThrow(/E_GOAL_OBJECTIVE_EMPTY/);
    await expect(t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: "x".repeat(GOAL_OBJECTIVE_MAX_CHARS + 1) }))
      .rejects.toThrow(/E_GOAL_OBJECTIVE_TOO_LARGE/);
    await expect(t.mutation(api.control.requestGoal, { actor: bob, conversationId, objective: "mine" })).rejects.toThrow(/E_CONVERSATION_NOT_FOUND/);
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toEqual(asked);
    const longest = await t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: "y".repeat(GOAL_OBJECTIVE_MAX_CHARS) });
    expect(longest.objective).toHaveLength(GOAL_OBJECTIVE_MAX_CHARS);
  });
});

describe("a sub-agent's conversation", () => {
  it("takes no stop, resume or goal request: no host binds it (nothing stored)", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "agent" });
    const conversationId = conversation.conversationId;
    await t.mutation(api.ingest.ingestBatch, { actor: alice, conversationId, streamId: "s", seq: 0,
      events: [{ type: "threadMeta", threadId: "agent", parentThreadId: "th", at: 1 }] });
    await expect(t.mutation(api.control.requestInterrupt, { actor: alice, conversationId })).rejects.toThrow(/E_CONTROL_TO_AGENT/);
    await expect(t.mutation(api.control.requestGoalResume, { actor: alice, conversationId })).rejects.toThrow(/E_CONTROL_TO_AGENT/);
    await expect(t.mutation(api.control.requestGoal, { actor: alice, conversationId, objective: "x" })).rejects.toThrow(/E_CONTROL_TO_AGENT/);
    expect(await t.query(api.control.getInterruptRequest, { actor: alice, conversationId })).toBeNull();
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
