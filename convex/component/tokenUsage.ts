/** Token usage: the thread's latest cumulative total and the recent turns' reports. */
import { v } from "convex/values";
import { query } from "./_generated/server.js";
import { readVisible } from "./replace.js";
import { findConversation } from "./scope.js";
import { tokenCounts, vActor } from "./validators.js";

export const vUsage = v.object({
  threadId: v.string(),
  turnId: v.string(),
  ...tokenCounts,
  contextWindow: v.union(v.number(), v.null()),
  updatedAt: v.number(),
});

const RECENT_TURNS = 20;

export const get = query({
  args: { actor: vActor, conversationId: v.string() },
  returns: v.object({ latest: v.union(vUsage, v.null()), recent: v.array(vUsage) }),
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    if (conv === null) return { latest: null, recent: [] };
    const rows = await readVisible(ctx, actor, conv.threadId, (hide) => hide(ctx.db
      .query("token_usage")
      .withIndex("actor_conversationId_updatedAt", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc"))
      .take(RECENT_TURNS));
    const recent = rows.map((r) => ({
      threadId: r.threadId, turnId: r.turnId, totalTokens: r.totalTokens, inputTokens: r.inputTokens,
      cachedInputTokens: r.cachedInputTokens, outputTokens: r.outputTokens, reasoningOutputTokens: r.reasoningOutputTokens,
      lastTotalTokens: r.lastTotalTokens, contextWindow: r.contextWindow ?? null, updatedAt: r.updatedAt,
    }));
    return { latest: recent[0] ?? null, recent };
  },
});
