/**
 * One query per screen: everything a conversation view shows, read in one reactive query (so a watcher holds
 * one subscription): the newest messages, pending requests, the latest sync job, the latest turn's plan and the
 * conversation itself.
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
import { vActor, vTurnPlan } from "./validators.js";

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
    };
  },
});
