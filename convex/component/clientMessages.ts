/**
 * A client's message: any client of the user (the page's composer, `codex-convex send`) gives the host driving a
 * conversation text to run. The host, subscribed to the conversation's queued messages (oldest first), starts a turn
 * with one when Codex is idle or steers the running turn with it (Codex adds it to that turn), and marks each with
 * what it did. Only a live host is given messages (E_HOST_OFFLINE otherwise): nothing waits for a host that may never
 * come, and a message still queued when a host binds the conversation is marked `stale`, not run behind the user's back.
 * A host takes a message (`taking`, compare-and-set: one host, once) before it gives it to Codex, so a host that is gone
 * between the two leaves it `unconfirmed` (it may have run), never a `stale` that claims it did not.
 */
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import { mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { CLIENT_MESSAGE_MAX_CHARS, MAX_QUEUED_CLIENT_MESSAGES, TURN_ERROR_MAX_CHARS } from "./limits.js";
import { requireHostOnline } from "./presence.js";
import { findConversation, isSubAgent, loadConversation } from "./scope.js";
import { vActor } from "./validators.js";

const vHandledState = v.union(v.literal("started"), v.literal("steered"), v.literal("stale"), v.literal("failed"));
export const vClientMessage = v.object({
  messageId: v.string(),
  conversationId: v.string(),
  text: v.string(),
  plan: v.boolean(), // the sender asked for Codex's plan mode
  sentAt: v.number(),
  state: v.union(v.literal("queued"), v.literal("taking"), v.literal("unconfirmed"), vHandledState),
  turnId: v.union(v.string(), v.null()),
  error: v.union(v.string(), v.null()),
  handledAt: v.union(v.number(), v.null()),
});

function toMessage(m: Doc<"client_messages">) {
  return {
    messageId: m._id as string, conversationId: m.conversationId as string, text: m.text, plan: m.plan ?? false, sentAt: m.sentAt, state: m.state,
    turnId: m.turnId ?? null, error: m.error ?? null, handledAt: m.handledAt ?? null,
  };
}

/** The conversation's messages in `state`, oldest first (≤ MAX_QUEUED_CLIENT_MESSAGES: sending refuses more queued, and
 * a host takes one at a time from them). */
async function inState(ctx: QueryCtx, conv: Doc<"conversations">, state: "queued" | "taking") {
  return await ctx.db
    .query("client_messages")
    .withIndex("actor_conversationId_state_sentAt", (q) => q.eq("actor", conv.actor).eq("conversationId", conv._id).eq("state", state))
    .take(MAX_QUEUED_CLIENT_MESSAGES);
}

const queued = (ctx: QueryCtx, conv: Doc<"conversations">) => inState(ctx, conv, "queued");

/**
 * A host binds the conversation (`hostSessionId`), or the presence sweep found its host lost (none): the messages still
 * queued were sent while no host had it open (the host may have moved on to another conversation, or be gone): marked
 * `stale`, not run by the new host behind the user's back. One another host took and never said what it did with is
 * `unconfirmed`: that host was gone between giving it to Codex and saying so, so it may have run.
 */
export async function settleUntaken(ctx: MutationCtx, conv: Doc<"conversations">, hostSessionId?: Id<"host_sessions">) {
  const now = Date.now();
  for (const m of await queued(ctx, conv)) await ctx.db.patch("client_messages", m._id, { state: "stale", handledAt: now });
  for (const m of await inState(ctx, conv, "taking")) {
    if (hostSessionId === undefined || m.takenBy !== hostSessionId) await ctx.db.patch("client_messages", m._id, { state: "unconfirmed", handledAt: now });
  }
}

/** The user's message of that id (null: none, or another user's). */
async function findMessage(ctx: QueryCtx, actor: string, messageId: string) {
  const id = ctx.db.normalizeId("client_messages", messageId);
  const row = id === null ? null : await ctx.db.get("client_messages", id);
  return row === null || row.actor !== actor ? null : row;
}

/** Give the conversation's host a message: it starts a turn with it, or steers the running turn with it. */
export const send = mutation({
  args: { actor: vActor, conversationId: v.string(), text: v.string(), plan: v.optional(v.boolean()) },
  returns: vClientMessage,
  handler: async (ctx, { actor, conversationId, text, plan }) => {
    const conv = await loadConversation(ctx, actor, conversationId);
    if (text.trim() === "") fail("E_CLIENT_MESSAGE_EMPTY", "the message has no text");
    if (text.length > CLIENT_MESSAGE_MAX_CHARS) {
      fail("E_CLIENT_MESSAGE_TOO_LARGE", `the message holds ${text.length} characters, at most ${CLIENT_MESSAGE_MAX_CHARS}`, { length: text.length });
    }
    if (conv.status === "deleting") fail("E_CONVERSATION_DELETING", "the conversation is being deleted", { conversationId });
    if (await isSubAgent(ctx, conv)) {
      fail("E_CLIENT_MESSAGE_TO_AGENT", "a sub-agent takes its tasks from the conversation that spawned it: write there", { conversationId });
    }
    if (conv.hostSessionId === undefined) fail("E_HOST_OFFLINE", "no host has driven this conversation: nobody can take the message");
    await requireHostOnline(ctx, conv, "the message");
    if ((await queued(ctx, conv)).length >= MAX_QUEUED_CLIENT_MESSAGES) {
      fail("E_CLIENT_MESSAGES_QUEUED", `${MAX_QUEUED_CLIENT_MESSAGES} messages wait for the host already`, { conversationId });
    }
    const id = await ctx.db.insert("client_messages", { actor, conversationId: conv._id, text, ...(plan === true ? { plan } : {}), sentAt: Date.now(), state: "queued" });
    return toMessage((await ctx.db.get("client_messages", id))!);
  },
});

/** The conversation's messages no host has taken yet, oldest first (none for no such conversation): the host
 * subscribes to it, the page shows them as sent. */
export const listQueued = query({
  args: { actor: vActor, conversationId: v.string() },
  returns: v.array(vClientMessage),
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    return conv === null ? [] : (await queued(ctx, conv)).map(toMessage);
  },
});

/** One message, whatever its state (null: no such message of this user): a sender follows it. */
export const get = query({
  args: { actor: vActor, messageId: v.string() },
  returns: v.union(vClientMessage, v.null()),
  handler: async (ctx, { actor, messageId }) => {
    const row = await findMessage(ctx, actor, messageId);
    return row === null ? null : toMessage(row);
  },
});

/** The host takes a queued message before giving it to Codex (compare-and-set: a message is taken once, by the host
 * driving the conversation then). Taking it again with the session that took it (`hostSessionId`: a retry after an
 * answer lost on the way) returns it as it is; a session that no longer drives the conversation cannot take it.
 * :throws E_CLIENT_MESSAGE_NOT_QUEUED: it was taken or marked already (another host bound the conversation since).
 * :throws E_HOST_NOT_DRIVING: `hostSessionId` is not the conversation's host (another bound it since). */
export const take = mutation({
  args: { actor: vActor, messageId: v.string(), hostSessionId: v.optional(v.string()) },
  returns: vClientMessage,
  handler: async (ctx, { actor, messageId, hostSessionId }) => {
    const row = await findMessage(ctx, actor, messageId);
    if (row === null) fail("E_CLIENT_MESSAGE_NOT_FOUND", "no such client message", { messageId });
    const conv = await ctx.db.get("conversations", row.conversationId);
    const session = hostSessionId === undefined ? undefined : ctx.db.normalizeId("host_sessions", hostSessionId);
    if (row.state === "taking" && session !== undefined && row.takenBy === session) return toMessage(row);
    if (session !== undefined && conv?.hostSessionId !== session) {
      fail("E_HOST_NOT_DRIVING", "another host drives the conversation now: the message is its to take", { messageId });
    }
    if (row.state !== "queued") fail("E_CLIENT_MESSAGE_NOT_QUEUED", `the message is ${row.state} already`, { messageId, state: row.state });
    await ctx.db.patch("client_messages", row._id, { state: "taking", ...(conv?.hostSessionId !== undefined ? { takenBy: conv.hostSessionId } : {}) });
    return toMessage((await ctx.db.get("client_messages", row._id))!);
  },
});

/** The host says what it did with a message (queued, or taken by it); one handled already keeps its first outcome. */
export const markHandled = mutation({
  args: { actor: vActor, messageId: v.string(), state: vHandledState, turnId: v.optional(v.string()), error: v.optional(v.string()) },
  returns: vClientMessage,
  handler: async (ctx, { actor, messageId, state, turnId, error }) => {
    const row = await findMessage(ctx, actor, messageId);
    if (row === null) fail("E_CLIENT_MESSAGE_NOT_FOUND", "no such client message", { messageId });
    const ran = state === "started" || state === "steered";
    if ((ran && (turnId === undefined || turnId === "" || turnId.length > 200)) || (state === "failed" && (error === undefined || error.length > TURN_ERROR_MAX_CHARS))) {
      fail("E_CLIENT_MESSAGE_BAD_OUTCOME", `a ${state} message needs ${ran ? "the turn's id" : "an error of at most TURN_ERROR_MAX_CHARS characters"}`, { state });
    }
    if (row.state === "queued" || row.state === "taking") {
      await ctx.db.patch("client_messages", row._id, {
        state, handledAt: Date.now(), ...(ran ? { turnId } : {}), ...(state === "failed" ? { error } : {}),
      });
    }
    return toMessage((await ctx.db.get("client_messages", row._id))!);
  },
});
