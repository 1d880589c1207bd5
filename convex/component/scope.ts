/**
 * Ownership checks. Every public function takes the caller's `actor` (resolved by the app from auth) and reads
 * only rows whose `actor` matches; a row of another actor is reported exactly like a missing one, so nothing
 * about other users leaks.
 */
import type { Doc, Id } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";

import { MAX_ACTOR_LENGTH } from "./limits.js";

export function checkActor(actor: string): void {
  if (actor.length === 0 || actor.length > MAX_ACTOR_LENGTH) {
    fail("E_AUTH_REQUIRED", "an actor is required (resolved from the caller's identity)");
  }
}

/** The actor's conversation, or `null` when it does not exist or belongs to someone else. */
export async function findConversation(ctx: QueryCtx, actor: string, conversationId: string): Promise<Doc<"conversations"> | null> {
  checkActor(actor);
  const id = ctx.db.normalizeId("conversations", conversationId);
  if (id === null) return null;
  const conv = await ctx.db.get("conversations", id);
  return conv !== null && conv.actor === actor ? conv : null;
}

export async function loadConversation(ctx: QueryCtx, actor: string, conversationId: string): Promise<Doc<"conversations">> {
  const conv = await findConversation(ctx, actor, conversationId);
  if (conv === null) fail("E_CONVERSATION_NOT_FOUND", "no such conversation", { conversationId });
  return conv;
}

export async function findThread(ctx: QueryCtx, actor: string, threadId: string): Promise<Doc<"threads"> | null> {
  checkActor(actor);
  return await ctx.db
    .query("threads")
    .withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", threadId))
    .unique();
}

export type ConversationId = Id<"conversations">;

/** The actor's conversation, for a write: refused while it is archived-for-deletion (a deletion job runs). */
export async function loadWritableConversation(ctx: QueryCtx, actor: string, conversationId: string): Promise<Doc<"conversations">> {
  const conv = await loadConversation(ctx, actor, conversationId);
  if (conv.status === "deleting") fail("E_CONVERSATION_DELETING", "the conversation is being deleted", { conversationId });
  return conv;
}

/** Whether the conversation is a sub-agent's (linked to its parent's conversation, or not yet: its parent is not
 * here): it takes its tasks from the conversation that spawned it, and no host binds it. */
export async function isSubAgent(ctx: QueryCtx, conv: Doc<"conversations">): Promise<boolean> {
  if (conv.parentConversationId !== undefined) return true;
  const thread = conv.threadId === undefined ? null : await findThread(ctx, conv.actor, conv.threadId);
  return thread?.parentThreadId !== undefined;
}
