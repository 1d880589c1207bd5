/**
 * Remote control: any client of the user asks the host driving a conversation to stop Codex's running turn (the
 * page's Stop button) or to resume the thread's goal (its Resume button). The request is a row; the host, subscribed
 * to the conversation's newest one, acts (a stop interrupts the turn and pauses an active goal, so Codex does not go
 * on by itself; a resume sets the goal active, so it does) and records what it did.
 */
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { findConversation, loadConversation } from "./scope.js";
import { vActor } from "./validators.js";

export const vInterruptOutcome = v.union(
  v.literal("interrupted"), v.literal("idle"), v.literal("stale"), v.literal("resumed"), v.literal("noGoal"), v.literal("superseded"),
  v.literal("failed"),
);
export const vControlAction = v.union(v.literal("interrupt"), v.literal("resumeGoal"));
type Action = "interrupt" | "resumeGoal";
export const vInterruptRequest = v.object({
  requestId: v.string(),
  conversationId: v.string(),
  action: vControlAction,
  requestedAt: v.number(),
  handledAt: v.union(v.number(), v.null()),
  outcome: v.union(vInterruptOutcome, v.null()),
});

function toRequest(r: Doc<"interrupt_requests">) {
  return {
    requestId: r._id as string, conversationId: r.conversationId as string, action: r.action ?? ("interrupt" as const), requestedAt: r.requestedAt,
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

/**
 * A new request of `action`; an unhandled one of the same action is returned as it is (pressed twice), one of the
 * other action is marked `superseded` (the host acts on the newest only).
 */
async function request(ctx: MutationCtx, actor: string, conversationId: string, action: Action) {
  const conv = await loadConversation(ctx, actor, conversationId);
  if (conv.status === "deleting") fail("E_CONVERSATION_DELETING", "the conversation is being deleted", { conversationId });
  const last = await newest(ctx, conv);
  if (last !== null && last.handledAt === undefined) {
    if ((last.action ?? "interrupt") === action) return toRequest(last);
    await ctx.db.patch("interrupt_requests", last._id, { outcome: "superseded", handledAt: Date.now() });
  }
  const id = await ctx.db.insert("interrupt_requests", {
    actor, conversationId: conv._id, requestedAt: Date.now(), ...(action === "resumeGoal" ? { action } : {}),
  });
  return toRequest((await ctx.db.get("interrupt_requests", id))!);
}

/** A host binds the conversation: a request still unhandled was made while no host had it open: marked `stale` (the
 * new host leaves its own work alone); every request after the bind is the bound host's to act on. */
export async function staleUnhandled(ctx: MutationCtx, conv: Doc<"conversations">) {
  const last = await newest(ctx, conv);
  if (last !== null && last.handledAt === undefined) await ctx.db.patch("interrupt_requests", last._id, { outcome: "stale", handledAt: Date.now() });
}

/** Ask the conversation's host to stop its running turn (and pause an active goal). */
export const requestInterrupt = mutation({
  args: { actor: vActor, conversationId: v.string() },
  returns: vInterruptRequest,
  handler: async (ctx, { actor, conversationId }) => await request(ctx, actor, conversationId, "interrupt"),
});

/** Ask the conversation's host to resume the thread's goal (Codex then goes on by itself until it is reached). */
export const requestGoalResume = mutation({
  args: { actor: vActor, conversationId: v.string() },
  returns: vInterruptRequest,
  handler: async (ctx, { actor, conversationId }) => await request(ctx, actor, conversationId, "resumeGoal"),
});

/** The conversation's newest request, stop or resume (null: none, or no such conversation): the host subscribes to it. */
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
