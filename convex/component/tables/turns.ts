import { defineTable } from "convex/server";
import { v } from "convex/values";
import { messageFields, replaceTags, vActor, vMessageStatus, vTurnError, vTurnPlan, vTurnStatus } from "../validators.js";

export const turnTables = {
  // Written by ingest (turnStarted/turnCompleted); read by turn detail and message lists.
  turns: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    threadId: v.string(),
    turnId: v.string(),
    ordinal: v.number(), // position in the thread (0, 1, …): orders messages across turns
    status: vTurnStatus,
    startedAt: v.number(),
    completedAt: v.optional(v.number()),
    error: v.optional(vTurnError),
    itemCount: v.number(),
    json: v.optional(v.string()), // Codex's own JSON of the turn without its items
    digest: v.optional(v.string()), // an import's SHA-256 of the turn with its items (see ingestEvents.ts)
    chain: v.optional(v.string()), // the thread's prefix hash through this turn, while the digests chain
    plan: v.optional(vTurnPlan), // the model's plan as last updated during the turn (live only: Codex keeps none)
    ...replaceTags,
  })
    .index("actor_threadId_turnId", ["actor", "threadId", "turnId"])
    .index("actor_threadId_ordinal", ["actor", "threadId", "ordinal"]),

  // Written by ingest (item events); read by turn detail. Keyed by (threadId, turnId, itemId): item ids from the
  // model are only unique within a turn. The item's Codex JSON lives in item_parts, split at 512 KiB.
  items: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    threadId: v.string(),
    turnId: v.string(),
    itemId: v.string(),
    ordinal: v.number(), // position within the turn
    itemType: v.string(),
    status: v.optional(v.string()),
    partCount: v.number(), // how many item_parts hold the JSON (0 until the first body arrives)
    partsReceived: v.number(),
    bytes: v.number(),
    updatedAt: v.number(),
    liveOnly: v.optional(v.boolean()), // seen live, but not in Codex's own record of the turn (thread/read)
    ...replaceTags,
  }).index("actor_threadId_turnId_itemId", ["actor", "threadId", "turnId", "itemId"])
    .index("actor_threadId_turnId_ordinal", ["actor", "threadId", "turnId", "ordinal"]),

  // Written by ingest; read by turn detail. One part of an item's JSON text (never truncated: parts concatenate).
  item_parts: defineTable({
    actor: vActor,
    threadId: v.string(),
    turnId: v.string(),
    itemId: v.string(),
    part: v.number(),
    data: v.string(),
    ...replaceTags,
  }).index("actor_threadId_turnId_itemId_part", ["actor", "threadId", "turnId", "itemId", "part"]),

  // Written by ingest; read by listMessages. The conversation's readable messages (user text, assistant text,
  // commands, file changes…). Text lives in message_segments; this row is small and fixed-size.
  messages: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    ...messageFields,
    segmentCount: v.number(),
    textBytes: v.number(),
    deltaCount: v.number(), // deltas applied so far: re-sent deltas below this are ignored
    summary: v.optional(v.string()), // e.g. the command of a commandExecution
    createdAt: v.number(),
    updatedAt: v.number(),
    ...replaceTags,
  })
    .index("actor_conversationId_turnOrdinal_itemOrdinal", ["actor", "conversationId", "turnOrdinal", "itemOrdinal"])
    .index("actor_threadId_turnId_itemId", ["actor", "threadId", "turnId", "itemId"])
    // a conversation's streaming messages (listStreaming: their live text, one subscription per conversation)
    .index("actor_conversationId_status", ["actor", "conversationId", "status"]),

  // Written by ingest (deltas append to the last segment until it holds SEGMENT_MAX_BYTES); read with their message.
  // A segment is a range of deltas [firstDelta, firstDelta + deltaCount): never one row per delta.
  message_segments: defineTable({
    actor: vActor,
    threadId: v.string(),
    turnId: v.string(),
    itemId: v.string(),
    segment: v.number(),
    firstDelta: v.number(), // with deltaCount: the message's deltas applied when this segment was last written
    deltaCount: v.number(),
    text: v.string(),
    // UTF-8 bytes of the message's segments before this one, on its last segment: with its own, the message's length
    // while it streams (its row is written only when a segment fills). Absent on segments written before it was kept.
    closedBytes: v.optional(v.number()),
    ...replaceTags,
  }).index("actor_threadId_turnId_itemId_segment", ["actor", "threadId", "turnId", "itemId", "segment"]),
};
