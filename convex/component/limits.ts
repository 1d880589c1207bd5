/**
 * The limits a host must respect, in one place: the Python host reads them from the generated
 * `codex_convex/host_api/_generated/limits.py` (rendered by `npm run shim`), never from a copy.
 */

/** Bytes of one sync chunk (the exact UTF-8 JSON array of its records). DESIGN §4. */
export const CHUNK_MAX_BYTES = 512 * 1024;
/** Chunks one source may hold: seal reads every chunk's metadata, so that one read stays bounded. */
export const MAX_CHUNKS_PER_SOURCE = 4096;
/** Records (ingest events) one chunk may hold. */
export const MAX_RECORDS_PER_CHUNK = 4096;
/** Events one ingest batch may carry: each costs up to ~8 index ranges, and a transaction may read 4,096. */
export const MAX_EVENTS_PER_BATCH = 256;
/** UTF-16 code units of one stored text segment (and of one `messageText` event). */
export const SEGMENT_MAX_CHARS = 16_384;
/** UTF-16 code units of one part of an item's JSON (an `item` event's `data`). */
export const PART_MAX_CHARS = 256 * 1024;
/** Items of more parts than this carry their view (the server joins and parses at most this many parts). */
export const INLINE_VIEW_PARTS = 4;
/** Rows one page of a paginated read returns at most (`paginationOpts.numItems` is clamped to it). */
export const MAX_PAGE_SIZE = 100;
/** Items a reconciling turnCompleted (`keepItems`) may remove, and parts or segments each of them may hold. */
export const MAX_RECONCILE_REMOVALS = 32;
export const MAX_RECONCILE_ITEM_ROWS = 256;
/** Parts of a thread's own JSON (`threadJson` events, each ≤ PART_MAX_CHARS): Codex's preview is the whole first message. */
export const MAX_THREAD_JSON_PARTS = 16;
/** UTF-16 code units of a turn's own JSON (the turn without its items, on turnStarted/turnCompleted). */
export const TURN_JSON_MAX_CHARS = 64 * 1024;
/** UTF-16 code units of each field of a turn's error (message, codexErrorInfo, detailsJson): a host clips a longer
 * one (and the error's text in the turn's own JSON when that is over TURN_JSON_MAX_CHARS). */
export const TURN_ERROR_MAX_CHARS = 8192;
/** A turn's plan (`turnPlan` events): steps, UTF-16 code units of one step and of the explanation. A host clips a
 * longer plan to these and marks it `truncated`. */
export const PLAN_MAX_STEPS = 50;
export const PLAN_STEP_MAX_CHARS = 500;
export const PLAN_EXPLANATION_MAX_CHARS = 2000;
/** The most UTF-8 bytes a turn row holds: its own JSON, its error and its plan at their bounds (3 bytes per UTF-16
 * code unit at most), the steps' statuses and the fixed fields. */
const TURN_ROW_MAX_BYTES = 3 * (TURN_JSON_MAX_CHARS + 3 * TURN_ERROR_MAX_CHARS + PLAN_MAX_STEPS * PLAN_STEP_MAX_CHARS + PLAN_EXPLANATION_MAX_CHARS)
  + PLAN_MAX_STEPS * 64 + 4096;
/** Turns one listTurns page returns at most (a caller asking for more gets this many and a cursor): a page of rows
 * at their largest stays within half of Convex's 16 MiB read limit. */
export const TURNS_PAGE_MAX = Math.floor((8 * 1024 * 1024) / TURN_ROW_MAX_BYTES);
/** UTF-16 code units of a notice's message (a Codex error or warning shown with the conversation: `lifecycle` events)
 * and of its details' JSON: a host clips longer ones. */
export const NOTICE_MAX_CHARS = TURN_ERROR_MAX_CHARS;
export const NOTICE_DETAILS_MAX_CHARS = 4 * TURN_ERROR_MAX_CHARS;
/** UTF-16 code units of a message's one-line summary (a command, the paths a change touched): longer ones are cut
 * (the item's JSON keeps the whole). */
export const MESSAGE_SUMMARY_MAX_CHARS = 2_000;
/** UTF-16 code units of a server request's params JSON (so ≤ 96 KiB of UTF-8). Codex's params repeat a command
 * several times (command, its parsed actions, a proposed rule): a host cuts long strings to fit, and says so. */
export const SERVER_REQUEST_PARAMS_MAX_CHARS = 32_768;
/** UTF-16 code units of a thread's preview kept on its row (Codex's preview is its whole first message: a host sends
 * its first PREVIEW_MAX_CHARS, longer ones are cut; the whole preview lives in the thread's JSON). */
export const PREVIEW_MAX_CHARS = 1000;
/** UTF-16 code units of a conversation's title, and so of a thread's name (it becomes the title): a host clips a
 * longer name (the whole name stays in the thread's own JSON). */
export const TITLE_MAX_CHARS = 500;
/** UTF-16 code units of a thread's other metadata kept on its row (cwd, model, forkedFromId, parentThreadId): a host clips a longer
 * one (the thread's own JSON keeps it whole). */
export const THREAD_FIELD_MAX_CHARS = 4096;
// A thread goal's objective (kept on the thread's row).
export const GOAL_OBJECTIVE_MAX_CHARS = 16 * 1024;
/** UTF-16 code units of a message a client (the page, `codex-convex send`) gives the host to run or steer a turn with. */
export const CLIENT_MESSAGE_MAX_CHARS = 32_768;
/** A conversation's client messages waiting for its host at most (so the host's read of them stays ≤ ~1.5 MiB). */
export const MAX_QUEUED_CLIENT_MESSAGES = 16;
/** Characters of an actor (the owner id the shim derives from the caller's identity). */
export const MAX_ACTOR_LENGTH = 512;
/** Segments of a message one live page holds (getMessageSegments, listStreamingMessages): ≤ 8 × 48 KiB of UTF-8. */
export const LIVE_PAGE_SEGMENTS = 8;
/** Streaming messages one listStreamingMessages answer carries at most (a turn streams one or two at a time): with a
 * page each, ≤ 8 × 9 × 48 KiB ≈ 3.4 MiB read. */
export const STREAMING_MESSAGES_MAX = 8;

export const LIMITS = {
  CHUNK_MAX_BYTES,
  MAX_CHUNKS_PER_SOURCE,
  MAX_RECORDS_PER_CHUNK,
  MAX_EVENTS_PER_BATCH,
  SEGMENT_MAX_CHARS,
  PART_MAX_CHARS,
  INLINE_VIEW_PARTS,
  MAX_PAGE_SIZE,
  MAX_RECONCILE_REMOVALS,
  MAX_RECONCILE_ITEM_ROWS,
  MAX_ACTOR_LENGTH,
  MAX_THREAD_JSON_PARTS,
  TURN_JSON_MAX_CHARS,
  TURN_ERROR_MAX_CHARS,
  PLAN_MAX_STEPS,
  PLAN_STEP_MAX_CHARS,
  PLAN_EXPLANATION_MAX_CHARS,
  TURNS_PAGE_MAX,
  TITLE_MAX_CHARS,
  PREVIEW_MAX_CHARS,
  MESSAGE_SUMMARY_MAX_CHARS,
  SERVER_REQUEST_PARAMS_MAX_CHARS,
  THREAD_FIELD_MAX_CHARS,
  GOAL_OBJECTIVE_MAX_CHARS,
  NOTICE_MAX_CHARS,
  NOTICE_DETAILS_MAX_CHARS,
  CLIENT_MESSAGE_MAX_CHARS,
  MAX_QUEUED_CLIENT_MESSAGES,
  LIVE_PAGE_SEGMENTS,
  STREAMING_MESSAGES_MAX,
} as const;
