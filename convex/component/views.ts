/**
 * One query per screen: everything a conversation view shows, read in one reactive query (so a watcher holds
 * one subscription): the newest messages, pending requests, the latest sync job, the latest turn's plan, the newest
 * notices (Codex's errors and warnings) and the conversation itself.
 */
import { v } from "convex/values";
import { query } from "./_generated/server.js";
import { toConversation, vConversation } from "./conversations.js";
import { latestTurn, toMessage, vMessage } from "./messages.js";
import { listPendingFor, vServerRequest } from "./requests.js";
import { hostPresence } from "./presence.js";
import { readVisible } from "./replace.js";
import { findConversation } from "./scope.js";
import { vHostPresence } from "./tables/presence.js";
import { toJob, vJob } from "./syncJobs.js";
import { MAX_PAGE_SIZE } from "./limits.js";
import { vActor, vThreadGoal, vTurnPlan } from "./validators.js";

/** Notices the view carries (newest first): the latest turn's retry and failure are what a reader needs. */
const VIEW_NOTICES = 3;

const vNotice = v.object({
  kind: v.string(), // "error" (a model call failed; details say whether Codex retries), "warning", "rebind"
  message: v.string(),
  turnId: v.union(v.string(), v.null()),
  detailsJson: v.union(v.string(), v.null()),
  at: v.number(),
});

export const conversationView = query({
  args: { actor: vActor, conversationId: v.string(), numMessages: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({
      found: v.literal(true),
      conversation: vConversation,
      messages: v.array(vMessage), // newest first
      hasOlderMessages: v.boolean(),
      pendingRequests: v.array(vServerRequest),
      latestJob: v.union(vJob, v.null()),
      host: vHostPresence, // the host driving it: online, or gone since lastSeenAt
      plan: v.union(v.object({ turnId: v.string(), ...vTurnPlan.fields }), v.null()), // the latest turn's, if it has one
      notices: v.array(vNotice), // the newest first: Codex's errors and warnings, rebinds
      goal: v.union(vThreadGoal, v.null()), // the bound thread's goal, as Codex last reported it
    }),
  ),
  handler: async (ctx, { actor, conversationId, numMessages }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    if (conv === null) return { found: false as const };
    const n = Math.max(1, Math.min(numMessages ?? 50, MAX_PAGE_SIZE));
    const rows = await readVisible(ctx, actor, conv.threadId, (hide) => hide(ctx.db
      .query("messages")
      .withIndex("actor_conversationId_turnOrdinal_itemOrdinal", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc"))
      .take(n + 1));
    const messages = [];
    for (const m of rows.slice(0, n)) messages.push(await toMessage(ctx, m));
    const lastTurn = await latestTurn(ctx, actor, conv.threadId);
    const notices = await readVisible(ctx, actor, conv.threadId, (hide) => hide(ctx.db
      .query("lifecycle_events")
      .withIndex("actor_conversationId_at", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc"))
      .take(VIEW_NOTICES));
    const thread = conv.threadId === undefined ? null : await ctx.db
      .query("threads")
      .withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", conv.threadId!))
      .unique();
    const job = await ctx.db
      .query("sync_jobs")
      .withIndex("actor_conversationId_createdAt", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc")
      .first();
    return {
      found: true as const, conversation: toConversation(conv), messages, hasOlderMessages: rows.length > n,
      pendingRequests: await listPendingFor(ctx, conv), latestJob: job === null ? null : toJob(job),
      host: await hostPresence(ctx, conv),
      plan: lastTurn?.plan === undefined ? null : { turnId: lastTurn.turnId, ...lastTurn.plan },
      notices: notices.map((n) => ({ kind: n.kind, message: n.message, turnId: n.turnId ?? null, detailsJson: n.detailsJson ?? null, at: n.at })),
      goal: thread?.goal ?? null,
    };
  },
});
