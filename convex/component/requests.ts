/**
 * Server requests from Codex (approvals, user input, tool calls): listed for the host and UIs, answered by the
 * owner from any client. The host, subscribed to `listPending`, forwards each decision to Codex, then ingest
 * marks it resolved. Nothing here decides on its own: no default accepts.
 */
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { requireHostOnline } from "./presence.js";
import { readVisible, refuseWhileReplacing, uniqueVisible } from "./replace.js";
import { agentsOf } from "./conversations.js";
import { checkActor, findConversation } from "./scope.js";
import { vActor, vRequestStatus } from "./validators.js";

export const vServerRequest = v.object({
  conversationId: v.string(),
  threadId: v.string(),
  turnId: v.string(),
  itemId: v.union(v.string(), v.null()),
  requestId: v.string(),
  method: v.string(),
  paramsJson: v.string(),
  paramsClipped: v.boolean(), // long strings of the params were cut to fit (the item's JSON holds them whole)
  status: vRequestStatus,
  decisionJson: v.union(v.string(), v.null()),
  answeredBy: v.union(v.string(), v.null()),
  createdAt: v.number(),
});

function toRequest(r: Doc<"server_requests">) {
  return {
    conversationId: r.conversationId as string, threadId: r.threadId, turnId: r.turnId, itemId: r.itemId ?? null,
    requestId: r.requestId, method: r.method, paramsJson: r.paramsJson, paramsClipped: r.paramsClipped ?? false, status: r.status,
    decisionJson: r.decisionJson ?? null, answeredBy: r.answeredBy ?? null, createdAt: r.createdAt,
  };
}

// A window, not a cut: the oldest pending requests come first, and answered or expired ones leave it, so the rest
// follow (Codex waits on each request, so a conversation holds a handful at a time). A row is at most ~300 KiB (params
// ≤ SERVER_REQUEST_PARAMS_MAX_CHARS, an answer ≤ 64 Ki characters, both ≤ 3 bytes each): 32 stay under 10 MiB read.
const MAX_PENDING = 32;

// Sub-agents whose pending requests show with their parent's (the newest this many: Codex runs a few at a time).
const MAX_AGENTS_PENDING = 16;

async function pendingOf(ctx: QueryCtx, conv: Doc<"conversations">, limit: number) {
  return await readVisible(ctx, conv.actor, conv.threadId, (hide) => hide(ctx.db
    .query("server_requests")
    .withIndex("actor_conversationId_status", (q) => q.eq("actor", conv.actor).eq("conversationId", conv._id).eq("status", "pending")))
    .take(limit));
}

/** The conversation's pending requests, then its sub-agents' (Codex waits on those too: a user watching the
 * conversation must see them), oldest first, at most MAX_PENDING in all; each names its own conversation. */
export async function listPendingFor(ctx: QueryCtx, conv: Doc<"conversations">) {
  const rows = await pendingOf(ctx, conv, MAX_PENDING);
  for (const agent of await agentsOf(ctx, conv, MAX_AGENTS_PENDING)) {
    if (rows.length >= MAX_PENDING) break;
    rows.push(...(await pendingOf(ctx, agent, MAX_PENDING - rows.length)));
  }
  return rows.sort((a, b) => a.createdAt - b.createdAt).map(toRequest);
}

/** Pending requests of a conversation and of its sub-agents (`[]` when it is missing or not the actor's), oldest
 * first, at most 32. */
export const listPending = query({
  args: { actor: vActor, conversationId: v.string() },
  returns: v.array(vServerRequest),
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    return conv === null ? [] : await listPendingFor(ctx, conv);
  },
});

export const vDecision = v.union(
  v.literal("accept"), v.literal("acceptForSession"), v.literal("decline"), v.literal("cancel"),
);

/**
 * Answer a pending request. For approvals give `decision`; for other requests give `responseJson` (the JSON
 * result Codex expects). The first answer wins: answering again fails with `E_REQUEST_ALREADY_ANSWERED`.
 */
export const respond = mutation({
  args: {
    actor: vActor, threadId: v.string(), turnId: v.string(), requestId: v.string(),
    decision: v.optional(vDecision), responseJson: v.optional(v.string()),
  },
  returns: vServerRequest,
  handler: async (ctx, { actor, threadId, turnId, requestId, decision, responseJson }) => {
    checkActor(actor);
    if ((decision === undefined) === (responseJson === undefined)) {
      fail("E_REQUEST_BAD_ANSWER", "give exactly one of decision or responseJson");
    }
    if (responseJson !== undefined) {
      try {
        JSON.parse(responseJson);
      } catch {
        fail("E_REQUEST_BAD_ANSWER", "responseJson is not JSON");
      }
      if (responseJson.length > 64 * 1024) fail("E_REQUEST_BAD_ANSWER", "responseJson is over 64 KiB");
    }
    await refuseWhileReplacing(ctx, actor, threadId); // its turn may be on its way out: answer once the sync finished
    const r = await ctx.db
      .query("server_requests")
      .withIndex("actor_threadId_turnId_requestId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("requestId", requestId))
      .unique();
    if (r === null) fail("E_REQUEST_NOT_FOUND", "no such request", { requestId });
    const decisionJson = responseJson ?? JSON.stringify({ decision });
    // The same answer again (a client repeating it after its answer was lost on the way) answers the same.
    if (r.decisionJson === decisionJson && r.answeredBy === actor) return toRequest(r);
    const conv = await ctx.db.get("conversations", r.conversationId);
    if (conv !== null) await requireHostOnline(ctx, conv); // an answer nobody can deliver is refused, not stored
    if (r.status !== "pending" || r.decisionJson !== undefined) {
      fail("E_REQUEST_ALREADY_ANSWERED", `the request is ${r.status === "pending" ? "already answered" : r.status}`, { requestId });
    }
    if (decision !== undefined && !r.method.endsWith("/requestApproval")) {
      fail("E_REQUEST_BAD_ANSWER", `${r.method} is not an approval: answer it with responseJson`);
    }
    await ctx.db.patch("server_requests", r._id, { decisionJson, answeredBy: actor, answeredAt: Date.now() });
    return toRequest((await ctx.db.get("server_requests", r._id))!);
  },
});

export const get = query({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), requestId: v.string() },
  returns: v.union(v.null(), vServerRequest),
  handler: async (ctx, { actor, threadId, turnId, requestId }) => {
    checkActor(actor);
    const r = await uniqueVisible(ctx, actor, threadId, (hide) => hide(ctx.db
      .query("server_requests")
      .withIndex("actor_threadId_turnId_requestId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("requestId", requestId)))
      .take(2));
    return r === null ? null : toRequest(r);
  },
});
