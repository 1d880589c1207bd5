/**
 * Reading a conversation: messages with their text (streaming or final), newest page first, and turn detail.
 * A page holds whole messages (a cursor never splits one, agent#321). Every read has a byte budget as well as a
 * row count, whatever the data: a list shows at most a message's first segment (LIST_TEXT_SEGMENTS, ≤ 16 Ki
 * characters) with its full length and `textTruncated`, and `getMessageText` pages through the rest; a turn carries
 * its items' JSON whole only while it fits READ_BUDGET_BYTES, and `getItemJson` pages through an item of any size.
 */
import { stream } from "convex-helpers/server/stream";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import schema from "./schema.js";
import { readVisible, uniqueVisible, visibleFilter } from "./replace.js";
import { findConversation, checkActor } from "./scope.js";
import { LIVE_PAGE_SEGMENTS, STREAMING_MESSAGES_MAX, TURNS_PAGE_MAX } from "./limits.js";
import { utf8Bytes } from "./text.js";
import { messageFields, paginated, vActor, vPaginationOpts, vTurnError, vTurnPlan, vTurnStatus, pageSize } from "./validators.js";

export const vMessage = v.object({
  ...messageFields,
  text: v.string(),
  summary: v.union(v.string(), v.null()),
  deltaCount: v.number(),
  textBytes: v.number(), // the whole text's UTF-8 length
  textTruncated: v.boolean(), // `text` is the beginning only: read the rest with getMessageText
  createdAt: v.number(),
  updatedAt: v.number(),
});

/**
 * Bytes one read may spend on payload (segments, item parts): half of Convex's 16 MiB read limit is the ceiling
 * for a whole call; this leaves room for the rows around it, and stays under the 8 MiB of older Convex builds.
 */
export const READ_BUDGET_BYTES = 4 * 1024 * 1024;
/** Segments of a message's text a list or view returns (a segment is ≤ 16 Ki characters, ≤ 48 KiB of UTF-8). */
export const LIST_TEXT_SEGMENTS = 1;
/** Segments getMessageText returns per page: 64 × ≤ 48 KiB ≤ 3 MiB. */
const TEXT_PAGE_SEGMENTS = 64;

/** UTF-8 bytes of a message's segments before its last one: kept on the last (written before that was kept: the row
 * counted the whole text then, the last segment's as it stands, as an earlier build updated it at every delta). */
export function bytesBefore(m: Doc<"messages">, last: Doc<"message_segments">): number {
  return last.closedBytes ?? Math.max(0, m.textBytes - utf8Bytes(last.text));
}

/** A streaming message's UTF-8 length as it stands, from its last segment (its row is written when a segment fills). */
export function streamedBytes(m: Doc<"messages">, last: Doc<"message_segments">): number {
  return bytesBefore(m, last) + utf8Bytes(last.text);
}

async function segmentRange(ctx: QueryCtx, m: Doc<"messages">, from: number, count: number) {
  return await readVisible(ctx, m.actor, m.threadId, (hide) => hide(ctx.db
    .query("message_segments")
    .withIndex("actor_threadId_turnId_itemId_segment", (q) => q.eq("actor", m.actor).eq("threadId", m.threadId).eq("turnId", m.turnId).eq("itemId", m.itemId).gte("segment", from).lt("segment", Math.min(m.segmentCount, from + count))))
    .take(count));
}

/**
 * A message as lists and views show it. A streaming message comes without its text (`text` "", `textTruncated`
 * false; `deltaCount`/`textBytes` as of its row's last write, when a segment filled): its text grows in listStreaming
 * (the app's listStreamingMessages), which clients merge in (React's useConversation, Python's watch_conversation). A delta writes only the message's segments, so a
 * view or list holding the message does not re-run at every delta (@convex-dev/agent splits its streams the same way).
 */
export async function toMessage(ctx: QueryCtx, m: Doc<"messages">) {
  const streaming = m.status === "streaming";
  const segs = m.segmentCount === 0 || streaming ? [] : await segmentRange(ctx, m, 0, LIST_TEXT_SEGMENTS);
  return {
    threadId: m.threadId, turnId: m.turnId, itemId: m.itemId, turnOrdinal: m.turnOrdinal, itemOrdinal: m.itemOrdinal,
    role: m.role, kind: m.kind, status: m.status, text: segs.map((s) => s.text).join(""), summary: m.summary ?? null,
    deltaCount: m.deltaCount, textBytes: m.textBytes, textTruncated: !streaming && m.segmentCount > LIST_TEXT_SEGMENTS,
    createdAt: m.createdAt, updatedAt: m.updatedAt,
  };
}

async function findMessage(ctx: QueryCtx, actor: string, threadId: string, turnId: string, itemId: string) {
  return await uniqueVisible(ctx, actor, threadId, (hide) => hide(ctx.db
    .query("messages")
    .withIndex("actor_threadId_turnId_itemId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("itemId", itemId)))
    .take(2));
}

/** A message's whole text, a page of segments at a time: concatenate `text` of each page until `nextSegment` is null. */
export const getMessageText = query({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), itemId: v.string(), fromSegment: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({ found: v.literal(true), text: v.string(), nextSegment: v.union(v.number(), v.null()), segmentCount: v.number(), textBytes: v.number() }),
  ),
  handler: async (ctx, { actor, threadId, turnId, itemId, fromSegment }) => {
    checkActor(actor);
    const m = await findMessage(ctx, actor, threadId, turnId, itemId);
    if (m === null) return { found: false as const };
    const from = Math.max(0, Math.floor(fromSegment ?? 0));
    const segs = await segmentRange(ctx, m, from, TEXT_PAGE_SEGMENTS);
    const next = from + segs.length;
    const tail = m.status !== "streaming" || m.segmentCount === 0 ? null
      : segs.find((s) => s.segment === m.segmentCount - 1) ?? (await segmentRange(ctx, m, m.segmentCount - 1, 1))[0] ?? null;
    return {
      found: true as const, text: segs.map((s) => s.text).join(""), nextSegment: next < m.segmentCount && segs.length > 0 ? next : null,
      segmentCount: m.segmentCount, textBytes: tail === null ? m.textBytes : streamedBytes(m, tail),
    };
  },
});

/**
 * A message's text for a live reader, one page of segments per subscription: `nextSegment` names the next page once
 * this one is full. A page reads only its own segments (and the first of the next page, to know whether one
 * follows), never the message row, so while a message streams only the page holding its growing tail re-runs:
 * the text read per update is O(what changed + one page), not O(message) (the PTS #58 class). A page past the end,
 * or of a message not yet written, reads the message row to tell an empty page from an unknown message.
 */
export const getMessageSegments = query({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), itemId: v.string(), fromSegment: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({ found: v.literal(true), fromSegment: v.number(), text: v.string(), nextSegment: v.union(v.number(), v.null()) }),
  ),
  handler: async (ctx, { actor, threadId, turnId, itemId, fromSegment }) => {
    checkActor(actor);
    const from = Math.max(0, Math.floor(fromSegment ?? 0));
    const segs = await readVisible(ctx, actor, threadId, (hide) => hide(ctx.db
      .query("message_segments")
      .withIndex("actor_threadId_turnId_itemId_segment", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("itemId", itemId).gte("segment", from).lt("segment", from + LIVE_PAGE_SEGMENTS + 1)))
      .take(LIVE_PAGE_SEGMENTS + 1));
    if (segs.length === 0 && (await findMessage(ctx, actor, threadId, turnId, itemId)) === null) return { found: false as const };
    const full = segs.length > LIVE_PAGE_SEGMENTS;
    return {
      found: true as const, fromSegment: from, text: segs.slice(0, LIVE_PAGE_SEGMENTS).map((s) => s.text).join(""),
      nextSegment: full ? from + LIVE_PAGE_SEGMENTS : null,
    };
  },
});

/**
 * The live text of every message streaming in a conversation (the oldest first), each its first page of segments
 * (`nextSegment`: getMessageSegments from there). Lists and views carry a streaming message without its text; a client
 * holds this one subscription beside its view and merges the two. Re-runs when a streaming message's first page grows,
 * or a message starts or stops streaming, never for the rest of the conversation.
 */
export const listStreaming = query({
  args: { actor: vActor, conversationId: v.string() },
  returns: v.array(v.object({ threadId: v.string(), turnId: v.string(), itemId: v.string(), text: v.string(), nextSegment: v.union(v.number(), v.null()) })),
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    if (conv === null) return [];
    const rows = await readVisible(ctx, actor, conv.threadId, (hide) => hide(ctx.db
      .query("messages")
      .withIndex("actor_conversationId_status", (q) => q.eq("actor", actor).eq("conversationId", conv._id).eq("status", "streaming")))
      .take(STREAMING_MESSAGES_MAX));
    const out = [];
    for (const m of rows) {
      const segs = await segmentRange(ctx, m, 0, LIVE_PAGE_SEGMENTS + 1);
      out.push({
        threadId: m.threadId, turnId: m.turnId, itemId: m.itemId, text: segs.slice(0, LIVE_PAGE_SEGMENTS).map((s) => s.text).join(""),
        nextSegment: segs.length > LIVE_PAGE_SEGMENTS ? LIVE_PAGE_SEGMENTS : null,
      });
    }
    return out;
  },
});

const EMPTY_PAGE = { page: [], isDone: true, continueCursor: "" };
/**
 * Rows a page may read: hidden rows of a replace under way are read and skipped, so a page stays bounded however
 * large the replace (past this, a shorter page with a cursor to go on from).
 */
const PAGE_MAX_ROWS_READ = 8_000;

export const list = query({
  args: { actor: vActor, conversationId: v.string(), paginationOpts: vPaginationOpts },
  returns: paginated(vMessage),
  handler: async (ctx, { actor, conversationId, paginationOpts }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    if (conv === null) return EMPTY_PAGE;
    const numItems = pageSize(paginationOpts);
    const page = await stream(ctx.db, schema)
      .query("messages")
      .withIndex("actor_conversationId_turnOrdinal_itemOrdinal", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc")
      .filterWith(visibleFilter(ctx, actor, conv.threadId)) // a replace under way: one version only (replace.ts)
      .paginate({ cursor: paginationOpts.cursor, numItems, maximumRowsRead: PAGE_MAX_ROWS_READ });
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
  complete: v.boolean(), // every part of the latest version arrived
  liveOnly: v.boolean(), // seen live but not kept by Codex (not part of its thread/read)
  bytes: v.number(), // the JSON's UTF-8 length
  partCount: v.number(),
  // The item's Codex JSON, whole (parts joined), when it is complete and fits the page's byte budget; null
  // otherwise. A complete item with `json: null` is read with getItemJson, a page of parts at a time.
  json: v.union(v.string(), v.null()),
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
  json: v.union(v.string(), v.null()), // Codex's own JSON of the turn without its items (null: never sent)
  plan: v.union(vTurnPlan, v.null()), // the model's plan as last updated during the turn (null: none seen live)
});

function toTurn(t: Doc<"turns">) {
  return { threadId: t.threadId, turnId: t.turnId, ordinal: t.ordinal, status: t.status, startedAt: t.startedAt, completedAt: t.completedAt ?? null, error: t.error ?? null, itemCount: t.itemCount, json: t.json ?? null, plan: t.plan ?? null };
}

/** The thread's newest turn readers may see (null: none yet, or no thread). */
export async function latestTurn(ctx: QueryCtx, actor: string, threadId: string | undefined): Promise<Doc<"turns"> | null> {
  if (threadId === undefined) return null;
  return (await readVisible(ctx, actor, threadId, (hide) => hide(ctx.db
    .query("turns").withIndex("actor_threadId_ordinal", (q) => q.eq("actor", actor).eq("threadId", threadId)).order("desc")).take(1)))[0] ?? null;
}

const MAX_ITEMS_PER_TURN_READ = 200;

/** Items larger than this never come inline in getTurn (read them with getItemJson). */
export const INLINE_ITEM_MAX_BYTES = 1024 * 1024;
/** Parts getItemJson returns per page: a part is ≤ 256 Ki characters (≤ 768 KiB of UTF-8): 4 parts ≤ 3 MiB. */
const ITEM_PAGE_PARTS = 4;

function itemParts(ctx: QueryCtx, it: Doc<"items">, from: number, count: number) {
  return readVisible(ctx, it.actor, it.threadId, (hide) => hide(ctx.db
    .query("item_parts")
    .withIndex("actor_threadId_turnId_itemId_part", (q) => q.eq("actor", it.actor).eq("threadId", it.threadId).eq("turnId", it.turnId).eq("itemId", it.itemId).gte("part", from).lt("part", Math.min(it.partCount, from + count))))
    .take(count));
}

/**
 * A turn with its items, a page at a time (`afterOrdinal`: the last ordinal of the previous page). Items' JSON comes
 * whole while the page's byte budget lasts; the page ends before an item that would overrun it (`hasMore`), and an
 * item over INLINE_ITEM_MAX_BYTES comes without its JSON. `{found:false}` when missing or not the actor's.
 */
export const getTurn = query({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), afterOrdinal: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({ found: v.literal(true), turn: vTurn, items: v.array(vItem), hasMore: v.boolean() }),
  ),
  handler: async (ctx, { actor, threadId, turnId, afterOrdinal }) => {
    checkActor(actor);
    const t = await uniqueVisible(ctx, actor, threadId, (hide) => hide(ctx.db.query("turns").withIndex("actor_threadId_turnId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId))).take(2));
    if (t === null) return { found: false as const };
    const items = await readVisible(ctx, actor, threadId, (hide) => hide(ctx.db
      .query("items")
      .withIndex("actor_threadId_turnId_ordinal", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).gt("ordinal", afterOrdinal ?? -1)))
      .take(MAX_ITEMS_PER_TURN_READ + 1));
    const out = [];
    let budget = READ_BUDGET_BYTES;
    let hasMore = items.length > MAX_ITEMS_PER_TURN_READ;
    for (const it of items.slice(0, MAX_ITEMS_PER_TURN_READ)) {
      const complete = it.partsReceived >= it.partCount && it.partCount > 0;
      let json: string | null = null;
      if (complete && it.bytes <= INLINE_ITEM_MAX_BYTES) {
        if (it.bytes > budget && out.length > 0) {
          hasMore = true; // the next page starts with this item
          break;
        }
        budget -= it.bytes;
        json = (await itemParts(ctx, it, 0, it.partCount)).map((p) => p.data).join("");
      }
      out.push({ itemId: it.itemId, ordinal: it.ordinal, itemType: it.itemType, status: it.status ?? null, complete, liveOnly: it.liveOnly ?? false, bytes: it.bytes, partCount: it.partCount, json });
    }
    return {
      found: true as const,
      turn: toTurn(t),
      items: out,
      hasMore,
    };
  },
});

/** An item's JSON, a page of parts at a time: concatenate `data` of each page until `nextPart` is null. */
export const getItemJson = query({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), itemId: v.string(), fromPart: v.optional(v.number()) },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({ found: v.literal(true), data: v.string(), nextPart: v.union(v.number(), v.null()), partCount: v.number(), complete: v.boolean(), bytes: v.number() }),
  ),
  handler: async (ctx, { actor, threadId, turnId, itemId, fromPart }) => {
    checkActor(actor);
    const it = await uniqueVisible(ctx, actor, threadId, (hide) => hide(ctx.db.query("items").withIndex("actor_threadId_turnId_itemId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("itemId", itemId))).take(2));
    if (it === null) return { found: false as const };
    const from = Math.max(0, Math.floor(fromPart ?? 0));
    const parts = await itemParts(ctx, it, from, ITEM_PAGE_PARTS);
    const next = from + parts.length;
    return {
      found: true as const, data: parts.map((p) => p.data).join(""), nextPart: next < it.partCount && parts.length > 0 ? next : null,
      partCount: it.partCount, complete: it.partsReceived >= it.partCount && it.partCount > 0, bytes: it.bytes,
    };
  },
});

/** Turns of a thread in order, a page at a time. */
export const listTurns = query({
  args: { actor: vActor, threadId: v.string(), paginationOpts: vPaginationOpts },
  returns: paginated(vTurn),
  handler: async (ctx, { actor, threadId, paginationOpts }) => {
    checkActor(actor);
    const numItems = Math.min(pageSize(paginationOpts), TURNS_PAGE_MAX);
    const page = await stream(ctx.db, schema)
      .query("turns")
      .withIndex("actor_threadId_ordinal", (q) => q.eq("actor", actor).eq("threadId", threadId))
      .filterWith(visibleFilter(ctx, actor, threadId))
      .paginate({ cursor: paginationOpts.cursor, numItems, maximumRowsRead: PAGE_MAX_ROWS_READ });
    return {
      page: page.page.map(toTurn),
      isDone: page.isDone,
      continueCursor: page.continueCursor,
    };
  },
});
