/**
 * Remote control: any client of the user asks the host driving a conversation to stop Codex's running turn (the
 * page's Stop button). The request is a row; the host, subscribed to the conversation's newest one, interrupts the
 * turn (and pauses an active goal, so Codex does not go on by itself) and records what it did.
 */
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { findConversation, loadConversation } from "./scope.js";
import { vActor } from "./validators.js";

export const vInterruptOutcome = v.union(v.literal("interrupted"), v.literal("idle"), v.literal("stale"));
export const vInterruptRequest = v.object({
  requestId: v.string(),
  conversationId: v.string(),
  requestedAt: v.number(),
  handledAt: v.union(v.number(), v.null()),
  outcome: v.union(vInterruptOutcome, v.null()),
});

function toRequest(r: Doc<"interrupt_requests">) {
  return {
    requestId: r._id as string, conversationId: r.conversationId as string, requestedAt: r.requestedAt,
    handledAt: r.handledAt ?? null, outcome: r.outcome ?? null,
  };
}

async function newest(ctx: QueryCtx, conv: Doc<"conversations">) {
  return await ctx.db
    .query("interrupt_requests")
    .withIndex("actor_conversationId_requestedAt", (q) => q.eq("actor", conv.actor).eq("conversationId", conv._id))
    .order("desc")
    .first();
}

/** Ask the conversation's host to stop its running turn; a request still unhandled is returned as it is. */
export const requestInterrupt = mutation({
  args: { actor: vActor, conversationId: v.string() },
  returns: vInterruptRequest,
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await loadConversation(ctx, actor, conversationId);
    if (conv.status === "deleting") fail("E_CONVERSATION_DELETING", "the conversation is being deleted", { conversationId });
    const last = await newest(ctx, conv);
    if (last !== null && last.handledAt === undefined) return toRequest(last);
    const id = await ctx.db.insert("interrupt_requests", { actor, conversationId: conv._id, requestedAt: Date.now() });
    return toRequest((await ctx.db.get("interrupt_requests", id))!);
  },
});

/** The conversation's newest interrupt request (null: none, or no such conversation): the host subscribes to it. */
export const getInterruptRequest = query({
  args: { actor: vActor, conversationId: v.string() },
  returns: v.union(vInterruptRequest, v.null()),
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    const last = conv === null ? null : await newest(ctx, conv);
    return last === null ? null : toRequest(last);
  },
});

/** The host says what it did; a request handled already keeps its first outcome. */
export const markInterruptHandled = mutation({
  args: { actor: vActor, requestId: v.string(), outcome: vInterruptOutcome },
  returns: vInterruptRequest,
  handler: async (ctx, { actor, requestId, outcome }) => {
    const id = ctx.db.normalizeId("interrupt_requests", requestId);
    const row = id === null ? null : await ctx.db.get("interrupt_requests", id);
    if (row === null || row.actor !== actor) fail("E_INTERRUPT_NOT_FOUND", "no such interrupt request", { requestId });
    if (row.handledAt === undefined) await ctx.db.patch("interrupt_requests", row._id, { outcome, handledAt: Date.now() });
    return toRequest((await ctx.db.get("interrupt_requests", row._id))!);
  },
});
