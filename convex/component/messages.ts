/**
 * Reading a conversation: messages with their text (streaming or final), newest page first, and turn detail.
 * A page holds whole messages (a cursor never splits one, agent#321); a message's text is read from its
 * segments, so reads per update grow with that message's size, never with the conversation's.
 */
import { paginator } from "convex-helpers/server/pagination";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import schema from "./schema.js";
import { findConversation, checkActor } from "./scope.js";
import { paginated, vActor, vMessageStatus, vPaginationOpts, vTurnError, vTurnStatus, pageSize } from "./validators.js";

export const vMessage = v.object({
  threadId: v.string(),
  turnId: v.string(),
  itemId: v.string(),
  turnOrdinal: v.number(),
  itemOrdinal: v.number(),
  role: v.union(v.literal("user"), v.literal("assistant"), v.literal("tool"), v.literal("system")),
  kind: v.string(),
  status: vMessageStatus,
  text: v.string(),
  summary: v.union(v.string(), v.null()),
  deltaCount: v.number(),
  createdAt: v.number(),
  updatedAt: v.number(),
});

export async function messageText(ctx: QueryCtx, m: Doc<"messages">): Promise<string> {
  if (m.segmentCount === 0) return "";
  const segs = await ctx.db
    .query("message_segments")
    .withIndex("actor_threadId_turnId_itemId_segment", (q) => q.eq("actor", m.actor).eq("threadId", m.threadId).eq("turnId", m.turnId).eq("itemId", m.itemId))
    .take(m.segmentCount);
  return segs.map((s) => s.text).join("");
}

export async function toMessage(ctx: QueryCtx, m: Doc<"messages">) {
  return {
    threadId: m.threadId, turnId: m.turnId, itemId: m.itemId, turnOrdinal: m.turnOrdinal, itemOrdinal: m.itemOrdinal,
    role: m.role, kind: m.kind, status: m.status, text: await messageText(ctx, m), summary: m.summary ?? null,
    deltaCount: m.deltaCount, createdAt: m.createdAt, updatedAt: m.updatedAt,
  };
}

const EMPTY_PAGE = { page: [], isDone: true, continueCursor: "" };

export const list = query({
  args: { actor: vActor, conversationId: v.string(), paginationOpts: vPaginationOpts },
  returns: paginated(vMessage),
  handler: async (ctx, { actor, conversationId, paginationOpts }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    if (conv === null) return EMPTY_PAGE;
    const numItems = pageSize(paginationOpts);
    const page = await paginator(ctx.db, schema)
      .query("messages")
      .withIndex("actor_conversationId_turnOrdinal_itemOrdinal", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc")
      .paginate({ cursor: paginationOpts.cursor, numItems });
    const out = [];
    for (const m of page.page) out.push(await toMessage(ctx, m));
    return { page: out, isDone: page.isDone, continueCursor: page.continueCursor };
  },
});

export const vItem = v.object({
  itemId: v.string(),
  ordinal: v.number(),
  itemType: v.string(),
  status: v.union(v.string(), v.null()),
  complete: v.boolean(),
  json: v.union(v.string(), v.null()), // the item's Codex JSON, whole (parts joined); null until all parts arrived
});

export const vTurn = v.object({
  threadId: v.string(),
  turnId: v.string(),
  ordinal: v.number(),
  status: vTurnStatus,
  startedAt: v.number(),
  completedAt: v.union(v.number(), v.null()),
  error: v.union(vTurnError, v.null()),
  itemCount: v.number(),
});

const MAX_ITEMS_PER_TURN_READ = 200;

/** A turn with its items (their whole JSON); `{found:false}` when missing or not the actor's. */
export const getTurn = query({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), afterOrdinal: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({ found: v.literal(true), turn: vTurn, items: v.array(vItem), hasMore: v.boolean() }),
  ),
  handler: async (ctx, { actor, threadId, turnId, afterOrdinal }) => {
    checkActor(actor);
    const t = await ctx.db.query("turns").withIndex("actor_threadId_turnId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId)).unique();
    if (t === null) return { found: false as const };
    const items = await ctx.db
      .query("items")
      .withIndex("actor_threadId_turnId_ordinal", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).gt("ordinal", afterOrdinal ?? -1))
      .take(MAX_ITEMS_PER_TURN_READ + 1);
    const out = [];
    for (const it of items.slice(0, MAX_ITEMS_PER_TURN_READ)) {
      const complete = it.partsReceived >= it.partCount && it.partCount > 0;
      let json: string | null = null;
      if (complete) {
        const parts = await ctx.db
          .query("item_parts")
          .withIndex("actor_threadId_turnId_itemId_part", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("itemId", it.itemId).lt("part", it.partCount))
          .take(it.partCount);
        json = parts.map((p) => p.data).join("");
      }
      out.push({ itemId: it.itemId, ordinal: it.ordinal, itemType: it.itemType, status: it.status ?? null, complete, json });
    }
    return {
      found: true as const,
      turn: { threadId, turnId, ordinal: t.ordinal, status: t.status, startedAt: t.startedAt, completedAt: t.completedAt ?? null, error: t.error ?? null, itemCount: t.itemCount },
      items: out,
      hasMore: items.length > MAX_ITEMS_PER_TURN_READ,
    };
  },
});

/** Turns of a thread in order, a page at a time. */
export const listTurns = query({
  args: { actor: vActor, threadId: v.string(), paginationOpts: vPaginationOpts },
  returns: paginated(vTurn),
  handler: async (ctx, { actor, threadId, paginationOpts }) => {
    checkActor(actor);
    const numItems = pageSize(paginationOpts);
    const page = await paginator(ctx.db, schema)
      .query("turns")
      .withIndex("actor_threadId_ordinal", (q) => q.eq("actor", actor).eq("threadId", threadId))
      .paginate({ cursor: paginationOpts.cursor, numItems });
    return {
      page: page.page.map((t) => ({ threadId, turnId: t.turnId, ordinal: t.ordinal, status: t.status, startedAt: t.startedAt, completedAt: t.completedAt ?? null, error: t.error ?? null, itemCount: t.itemCount })),
      isDone: page.isDone,
      continueCursor: page.continueCursor,
    };
  },
});
