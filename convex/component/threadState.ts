/**
 * A thread as Codex has it, and what a sync holds of it: its own JSON (getThreadJson, the thread of `thread/read`
 * without turns, a page of parts at a time) and its sync state (getThreadSyncState: how many leading turns carry
 * chained digests, and the chain's hash — at the end, or after any earlier turn — so a host uploads only what
 * changed).
 */
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import { readVisible, uniqueVisible } from "./replace.js";
import { checkActor, findThread } from "./scope.js";
import { vActor, vThreadGoal } from "./validators.js";

/** Parts per page: a part is ≤ 256 Ki characters (≤ 768 KiB of UTF-8): 4 parts ≤ 3 MiB. */
const THREAD_JSON_PAGE_PARTS = 4;

/** The chain after the first `k` turns, while they chain (else null). */
export async function chainAt(ctx: QueryCtx, t: Doc<"threads">, k: number): Promise<string | null> {
  const synced = t.syncedTurns ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > synced) return null;
  if (k === 0) return "";
  if (k === synced) return t.prefixHash ?? "";
  const turn = await uniqueVisible(ctx, t.actor, t.threadId, (hide) => hide(ctx.db.query("turns")
    .withIndex("actor_threadId_ordinal", (q) => q.eq("actor", t.actor).eq("threadId", t.threadId).eq("ordinal", k - 1))).take(2));
  return turn?.chain ?? null;
}

export const getThreadJson = query({
  args: { actor: vActor, threadId: v.string(), fromPart: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({ found: v.literal(true), data: v.string(), nextPart: v.union(v.number(), v.null()), partCount: v.number(), complete: v.boolean(), sha256: v.union(v.string(), v.null()) }),
  ),
  handler: async (ctx, { actor, threadId, fromPart }) => {
    checkActor(actor);
    const t = await findThread(ctx, actor, threadId);
    if (t === null || t.jsonPartCount === undefined) return { found: false as const };
    const count = t.jsonPartCount;
    const from = Math.max(0, Math.floor(fromPart ?? 0));
    const parts = await readVisible(ctx, actor, threadId, (hide) => hide(ctx.db
      .query("thread_parts")
      .withIndex("actor_threadId_part", (q) => q.eq("actor", actor).eq("threadId", threadId).gte("part", from).lt("part", Math.min(count, from + THREAD_JSON_PAGE_PARTS))))
      .take(THREAD_JSON_PAGE_PARTS));
    const next = from + parts.length;
    const complete = (t.jsonPartsReceived ?? 0) >= count && t.jsonSha256 !== undefined;
    return {
      found: true as const, data: parts.map((p) => p.data).join(""), nextPart: next < count && parts.length > 0 ? next : null,
      partCount: count, complete, sha256: complete ? t.jsonSha256! : null,
    };
  },
});

export const getThreadSyncState = query({
  args: { actor: vActor, threadId: v.string(), atTurns: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({
      found: v.literal(true),
      conversationId: v.string(),
      turnCount: v.number(),
      syncedTurns: v.number(), // leading turns whose digests chain
      prefixHash: v.string(), // the chain through them ("" for none)
      jsonSha256: v.union(v.string(), v.null()), // of the thread's own JSON, when whole
      chainAt: v.union(v.string(), v.null()), // the chain after `atTurns` turns, when 0 ≤ atTurns ≤ syncedTurns
      goal: v.union(vThreadGoal, v.null()), // the thread's goal as last synced or replicated
    }),
  ),
  handler: async (ctx, { actor, threadId, atTurns }) => {
    checkActor(actor);
    const t = await findThread(ctx, actor, threadId);
    if (t === null) return { found: false as const };
    const synced = t.syncedTurns ?? 0;
    return {
      found: true as const, conversationId: t.conversationId as string, turnCount: t.turnCount, syncedTurns: synced,
      prefixHash: t.prefixHash ?? "", jsonSha256: t.jsonSha256 ?? null,
      chainAt: atTurns === undefined ? null : await chainAt(ctx, t, atTurns), goal: t.goal ?? null,
    };
  },
});
