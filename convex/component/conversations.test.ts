import { describe, expect, it } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest } from "../testing/component.js";

const alice = "issuer|alice";
const bob = "issuer|bob";
const page = { numItems: 10, cursor: null };

describe("conversations", () => {
  it("syncOpenBinding creates once per thread and finds it again", async () => {
    const t = initConvexTest();
    const a = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th1" });
    const b = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th1" });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.conversation.conversationId).toBe(a.conversation.conversationId);
    expect(a.conversation.threadId).toBe("th1");
  });

  it("a title given when a thread's conversation is found again is its first one, never a rename", async () => {
    const t = initConvexTest();
    const actor = alice;
    const opened = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "agent-1" });
    expect(opened.conversation.title).toBeNull();
    const titled = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "agent-1", title: "Sagan: check the tests" });
    expect(titled).toMatchObject({ created: false, conversation: { conversationId: opened.conversation.conversationId, title: "Sagan: check the tests" } });
    const again = await t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "agent-1", title: "another" });
    expect(again.conversation.title).toBe("Sagan: check the tests");
    await expect(t.mutation(api.conversations.syncOpenBinding, { actor, threadId: "agent-2", title: "x".repeat(501) })).rejects.toThrow(/E_CONVERSATION_BAD_TITLE/);
  });

  it("refuses to move a thread or a bound conversation implicitly", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th1" });
    const other = await t.mutation(api.conversations.create, { actor: alice });
    await expect(t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th1", conversationId: other.conversationId }))
      .rejects.toThrow(/E_THREAD_BOUND_ELSEWHERE/);
    await expect(t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th2", conversationId: conversation.conversationId }))
      .rejects.toThrow(/E_CONVERSATION_BOUND_ELSEWHERE/);
  });

  it("forceRebind keeps the binding history, newest first", async () => {
    const t = initConvexTest();
    const { conversation } = await t.mutation(api.conversations.syncOpenBinding, { actor: alice, threadId: "th1" });
    await t.mutation(api.conversations.forceRebind, { actor: alice, conversationId: conversation.conversationId, threadId: "th2" });
    const threads = await t.query(api.conversations.listThreads, { actor: alice, conversationId: conversation.conversationId });
    expect(threads.map((x) => [x.threadId, x.current])).toEqual([["th2", true], ["th1", false]]);
  });

  it("markSyncProgress is ignored for a stale job", async () => {
    const t = initConvexTest();
    const c = await t.mutation(api.conversations.create, { actor: alice });
    const r = await t.mutation(api.conversations.markSyncProgress, { actor: alice, conversationId: c.conversationId, syncState: "synced", expectedSyncJobId: "old" });
    expect(r.applied).toBe(false);
    expect(r.conversation.syncState).toBe("unsynced");
    const ok = await t.mutation(api.conversations.markSyncProgress, { actor: alice, conversationId: c.conversationId, syncState: "syncing" });
    expect(ok.applied).toBe(true);
  });

  it("archive hides from the default list, unarchive brings it back", async () => {
    const t = initConvexTest();
    const c = await t.mutation(api.conversations.create, { actor: alice, title: "x" });
    await t.mutation(api.conversations.archive, { actor: alice, conversationId: c.conversationId });
    expect((await t.query(api.conversations.list, { actor: alice, paginationOpts: page })).page).toEqual([]);
    expect((await t.query(api.conversations.list, { actor: alice, includeArchived: true, paginationOpts: page })).page).toHaveLength(1);
    await t.mutation(api.conversations.unarchive, { actor: alice, conversationId: c.conversationId });
    expect((await t.query(api.conversations.list, { actor: alice, paginationOpts: page })).page).toHaveLength(1);
  });

  it("another actor sees nothing and can change nothing", async () => {
    const t = initConvexTest();
    const c = await t.mutation(api.conversations.create, { actor: alice });
    expect(await t.query(api.conversations.get, { actor: bob, conversationId: c.conversationId })).toEqual({ found: false });
    expect((await t.query(api.conversations.list, { actor: bob, paginationOpts: page })).page).toEqual([]);
    await expect(t.mutation(api.conversations.archive, { actor: bob, conversationId: c.conversationId })).rejects.toThrow(/E_CONVERSATION_NOT_FOUND/);
    expect((await t.query(api.conversations.get, { actor: alice, conversationId: c.conversationId }))).toMatchObject({ found: true, conversation: { status: "active" } });
  });

  it("a malformed conversation id reads as missing", async () => {
    const t = initConvexTest();
    expect(await t.query(api.conversations.get, { actor: alice, conversationId: "not-an-id" })).toEqual({ found: false });
    expect(await t.query(api.conversations.listThreads, { actor: alice, conversationId: "nope" })).toEqual([]);
  });
});
