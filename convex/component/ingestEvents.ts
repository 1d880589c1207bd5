/** The events a host sends in an ingest batch (live replication) or a sync chunk (import): one tagged union. */
import { v, type Infer } from "convex/values";
import { tokenCounts, vMessageStatus, vThreadGoal, vTurnError, vTurnPlan, vTurnStatus } from "./validators.js";

const where = { threadId: v.string(), turnId: v.string() };

/**
 * A large item as a message, read by the host (the same reading as itemMessages.ts `messageView`): its text is
 * `segmentCount` segments of ≤ SEGMENT_MAX_CHARS characters, `textBytes` of UTF-8 in all.
 */
export const vItemView = v.object({
  role: v.union(v.literal("user"), v.literal("assistant"), v.literal("tool"), v.literal("system")),
  status: vMessageStatus,
  summary: v.optional(v.string()),
  itemStatus: v.optional(v.string()), // the item JSON's own `status` field
  segmentCount: v.number(),
  textBytes: v.number(),
});


/** Which notification an item event came from (an import sends `completed`). */
export const vItemPhase = v.union(v.literal("started"), v.literal("updated"), v.literal("completed"));

export const vIngestEvent = v.union(
  v.object({ type: v.literal("threadMeta"), threadId: v.string(), name: v.optional(v.string()), preview: v.optional(v.string()), cwd: v.optional(v.string()), model: v.optional(v.string()), forkedFromId: v.optional(v.string()), parentThreadId: v.optional(v.string()), at: v.number() }),
  // Codex's own JSON of the thread without its turns (thread/read with includeTurns false), in parts of ≤ PART_MAX_CHARS;
  // `sha256`: of the whole JSON text (checked when the last part arrives). A new version replaces the old one.
  v.object({ type: v.literal("threadJson"), threadId: v.string(), part: v.number(), partCount: v.number(), data: v.string(), sha256: v.string(), at: v.number() }),
  // `json`: Codex's own JSON of the turn without its items (≤ TURN_JSON_MAX_CHARS), kept to rebuild thread/read.
  v.object({ type: v.literal("turnStarted"), ...where, json: v.optional(v.string()), at: v.number() }),
  // `keepItems` (a host reconciling from Codex's thread/read): the turn's whole list of items; any other item the turn
  // holds here (e.g. a command a dead host had started, which Codex never kept) is removed with its message.
  // `digest` (an import): SHA-256 of the turn's canonical JSON with its items, as the host read it from Codex; digests
  // chain into the thread's prefix hash, which tells a later sync what the server already holds.
  // `codexItems` (a live host at a turn's end): the items Codex kept (its thread/read); the turn's other items (a
  // message streamed before an interrupt, a command started then declined) stay, marked `liveOnly`. With either list
  // the turn's kept items are ordered as Codex lists them (as they ended: plan mode's plan before the answer it ends in).
  v.object({ type: v.literal("turnCompleted"), ...where, status: vTurnStatus, error: v.optional(vTurnError), keepItems: v.optional(v.array(v.string())), codexItems: v.optional(v.array(v.string())), json: v.optional(v.string()), digest: v.optional(v.string()), at: v.number() }),
  // One part of an item's JSON (concatenate parts 0..partCount-1). `phase` says which notification it came from.
  // An item of more than INLINE_VIEW_PARTS parts carries, on its last part, the host's `view` of it as a message
  // (null: not a message), whose text follows as `messageText` events: the server never joins a large item.
  v.object({
    type: v.literal("item"), ...where, itemId: v.string(),
    phase: vItemPhase,
    itemType: v.string(), part: v.number(), partCount: v.number(), data: v.string(), at: v.number(),
    view: v.optional(v.union(vItemView, v.null())),
  }),
  // Segment `segment` (≤ 16 Ki characters) of a large item's message text, after the item's view.
  v.object({ type: v.literal("messageText"), ...where, itemId: v.string(), segment: v.number(), text: v.string(), at: v.number() }),
  // Consecutive agent-message deltas [firstDelta, firstDelta + deltaCount), coalesced by the host.
  v.object({ type: v.literal("messageDelta"), ...where, itemId: v.string(), firstDelta: v.number(), deltaCount: v.number(), text: v.string(), at: v.number() }),
  // The turn's plan as the model just set it (Codex's turn/plan/updated): replaces the one before. Live only.
  v.object({
    type: v.literal("turnPlan"), ...where, explanation: v.union(v.string(), v.null()),
    steps: vTurnPlan.fields.steps, truncated: v.boolean(), at: v.number(),
  }),
  v.object({ type: v.literal("serverRequest"), ...where, itemId: v.optional(v.string()), requestId: v.string(), method: v.string(), paramsJson: v.string(), paramsClipped: v.optional(v.boolean()), at: v.number() }),
  v.object({ type: v.literal("serverRequestResolved"), ...where, requestId: v.string(), at: v.number() }),
  v.object({
    type: v.literal("tokenUsage"), ...where, ...tokenCounts, contextWindow: v.optional(v.number()), at: v.number(),
  }),
  // The thread's goal as Codex just set it (thread/goal/updated), or none any more (null: thread/goal/cleared). Imports carry it too (thread/goal/get).
  v.object({ type: v.literal("threadGoal"), threadId: v.string(), goal: v.union(vThreadGoal, v.null()), at: v.number() }),
  v.object({ type: v.literal("lifecycle"), threadId: v.optional(v.string()), turnId: v.optional(v.string()), kind: v.string(), message: v.string(), detailsJson: v.optional(v.string()), at: v.number() }),
);
export type IngestEvent = Infer<typeof vIngestEvent>;

