/**
 * Remote control: any client of the user asks the host driving a conversation to stop Codex's running turn (the
 * page's Stop button), to resume the thread's goal (its Resume button) or to give the thread a new goal (its goal
 * field). The request is a row; the host, subscribed to the conversation's newest one, acts (a stop interrupts the
 * turn and pauses an active goal, so Codex does not go on by itself; a resume sets the goal active, so it does; a new
 * goal replaces the thread's, active, so Codex works toward it) and records what it did.
 */
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { GOAL_OBJECTIVE_MAX_CHARS } from "./limits.js";
import { findConversation, isSubAgent, loadConversation } from "./scope.js";
import { vActor } from "./validators.js";

export const vInterruptOutcome = v.union(
  v.literal("interrupted"), v.literal("idle"), v.literal("stale"), v.literal("resumed"), v.literal("noGoal"), v.literal("superseded"),
  v.literal("failed"), v.literal("goalSet"),
);
export const vControlAction = v.union(v.literal("interrupt"), v.literal("resumeGoal"), v.literal("setGoal"));
type Action = { action: "interrupt" } | { action: "resumeGoal" } | { action: "setGoal"; objective: string };
export const vInterruptRequest = v.object({
  requestId: v.string(),
  conversationId: v.string(),
  action: vControlAction,
  objective: v.union(v.string(), v.null()), // a setGoal request's goal (null for the others)
  requestedAt: v.number(),
  handledAt: v.union(v.number(), v.null()),
  outcome: v.union(vInterruptOutcome, v.null()),
});

function toRequest(r: Doc<"interrupt_requests">) {
  return {
    requestId: r._id as string, conversationId: r.conversationId as string, action: r.action ?? ("interrupt" as const),
    objective: r.objective ?? null, requestedAt: r.requestedAt,
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
 * A new request; an unhandled one asking the same (the same action, and for a goal the same objective) is returned as
 * it is (pressed twice), any other unhandled one is marked `superseded` (the host acts on the newest only).
 */
async function request(ctx: MutationCtx, actor: string, conversationId: string, asked: Action) {
  const conv = await loadConversation(ctx, actor, conversationId);
  if (conv.status === "deleting") fail("E_CONVERSATION_DELETING", "the conversation is being deleted", { conversationId });
  if (await isSubAgent(ctx, conv)) {
    fail("E_CONTROL_TO_AGENT", "a sub-agent runs under the conversation that spawned it: no host takes requests for it", { conversationId });
  }
  const last = await newest(ctx, conv);
  if (last !== null && last.handledAt === undefined) {
    const same = (last.action ?? "interrupt") === asked.action && (asked.action !== "setGoal" || last.objective === asked.objective);
    if (same) return toRequest(last);
    await ctx.db.patch("interrupt_requests", last._id, { outcome: "superseded", handledAt: Date.now() });
  }
  const id = await ctx.db.insert("interrupt_requests", {
    actor, conversationId: conv._id, requestedAt: Date.now(), ...(asked.action === "interrupt" ? {} : asked),
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
  handler: async (ctx, { actor, conversationId }) => await request(ctx, actor, conversationId, { action: "interrupt" }),
});

/** Ask the conversation's host to resume the thread's goal (Codex then goes on by itself until it is reached). */
export const requestGoalResume = mutation({
  args: { actor: vActor, conversationId: v.string() },
  returns: vInterruptRequest,
  handler: async (ctx, { actor, conversationId }) => await request(ctx, actor, conversationId, { action: "resumeGoal" }),
});

/** Ask the conversation's host to give the thread a new goal, active (it replaces the thread's goal; Codex then works
 * toward it on its own, turn after turn, until it is complete).
 * :throws E_GOAL_OBJECTIVE_EMPTY / E_GOAL_OBJECTIVE_TOO_LARGE: no objective, or one over GOAL_OBJECTIVE_MAX_CHARS. */
export const requestGoal = mutation({
  args: { actor: vActor, conversationId: v.string(), objective: v.string() },
  returns: vInterruptRequest,
  handler: async (ctx, { actor, conversationId, objective }) => {
    if (objective.trim() === "") fail("E_GOAL_OBJECTIVE_EMPTY", "the goal has no objective");
    if (objective.length > GOAL_OBJECTIVE_MAX_CHARS) {
      fail("E_GOAL_OBJECTIVE_TOO_LARGE", `the objective holds ${objective.length} characters, at most ${GOAL_OBJECTIVE_MAX_CHARS}`, { length: objective.length });
    }
    return await request(ctx, actor, conversationId, { action: "setGoal", objective });
  },
});

/** The conversation's newest request, stop, resume or new goal (null: none, or no such conversation): the host subscribes to it. */
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
