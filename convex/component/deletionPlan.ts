/**
 * What a deletion removes, as ordered index ranges — children before parents, so an interrupted job never leaves
 * a row pointing at a deleted one. Every table of the schema appears in the actor plan, and in the thread and turn
 * plans or in their explicit exclusions; deletionPlan.test.ts enumerates the schema so a new table cannot be
 * forgotten.
 */
import type { Doc, TableNames } from "./_generated/dataModel.js";

export type Target = Doc<"deletion_jobs">["target"];
export type Range =
  | { table: TableNames; index: string; eq: Array<[field: string, value: string]> }
  | { special: "sync_sources" }
  | { special: "agents" } // the conversation's sub-agents: each gets a deletion job of its own (SUB_AGENTS in counts)
  | { special: "conversation" };

/** The counts key of a thread deletion's sub-agents: conversations whose deletion it started, not rows it deleted. */
export const SUB_AGENTS = "sub_agents";

/** For an actor purge: one index per table whose first field is `actor`. */
export const ACTOR_INDEX: Partial<Record<TableNames, string>> = {
  item_parts: "actor_threadId_turnId_itemId_part",
  message_segments: "actor_threadId_turnId_itemId_segment",
  items: "actor_threadId_turnId_itemId",
  messages: "actor_threadId_turnId_itemId",
  server_requests: "actor_threadId_status",
  token_usage: "actor_threadId_turnId",
  turns: "actor_threadId_turnId",
  lifecycle_events: "actor_conversationId_at",
  sync_chunk_payloads: "actor_sourceId_chunkIndex",
  sync_chunks: "actor_sourceId_chunkIndex",
  sync_jobs: "actor_createdAt",
  sync_sources: "actor_idempotencyKey",
  ingest_streams: "actor_conversationId_streamId",
  thread_bindings: "actor_threadId",
  thread_parts: "actor_threadId_part",
  threads: "actor_threadId",
  conversations: "actor_threadId",
  diagnostic_pings: "actor_nonce",
  host_sessions: "actor_hostId",
  interrupt_requests: "actor_conversationId_requestedAt",
  client_messages: "actor_conversationId_state_sentAt",
  deletion_jobs: "actor_createdAt", // the running purge job itself is kept until its status retention ends
};

/** Tables a thread or turn deletion leaves alone, and why. */
export const NOT_THREAD_SCOPED: Record<string, string> = {
  diagnostic_pings: "actor-level self-checks, not conversation data",
  host_sessions: "a host process's presence, shared by all the conversations it drives",
  deletion_jobs: "the record of deletions itself (holds counts, no content)",
};

export function plan(target: Target, conversation: Doc<"conversations"> | null): Range[] {
  if (target.kind === "actor") {
    return Object.entries(ACTOR_INDEX)
      .filter(([table]) => table !== "deletion_jobs")
      .map(([table, index]) => ({ table: table as TableNames, index: index!, eq: [] }));
  }
  const t = target.threadId;
  // The tables holding a turn's rows, with the index a turn's (and a thread's) rows are read by.
  const perTurn: Array<[table: TableNames, byTurn: string, byThread: string]> = [
    ["item_parts", "actor_threadId_turnId_itemId_part", "actor_threadId_turnId_itemId_part"],
    ["message_segments", "actor_threadId_turnId_itemId_segment", "actor_threadId_turnId_itemId_segment"],
    ["items", "actor_threadId_turnId_itemId", "actor_threadId_turnId_itemId"],
    ["messages", "actor_threadId_turnId_itemId", "actor_threadId_turnId_itemId"],
    ["server_requests", "actor_threadId_turnId_requestId", "actor_threadId_status"],
    ["token_usage", "actor_threadId_turnId", "actor_threadId_turnId"],
    ["lifecycle_events", "actor_threadId_turnId_at", "actor_threadId_turnId_at"],
    ["turns", "actor_threadId_turnId", "actor_threadId_turnId"],
  ];
  if (target.kind === "turn") {
    const turn: Array<[string, string]> = [["threadId", t], ["turnId", target.turnId]];
    return perTurn.map(([table, index]) => ({ table, index, eq: turn }));
  }
  const thread: Array<[string, string]> = [["threadId", t]];
  const ranges: Range[] = [
    ...perTurn.map(([table, , index]) => ({ table, index, eq: thread })),
    { special: "sync_sources" }, // sources of the thread, with their chunks, payloads and jobs
    { table: "thread_bindings", index: "actor_threadId", eq: thread },
    { table: "thread_parts", index: "actor_threadId_part", eq: thread },
    { table: "threads", index: "actor_threadId", eq: thread },
  ];
  if (conversation !== null) {
    const c: Array<[string, string]> = [["conversationId", conversation._id]];
    ranges.push(
      { table: "lifecycle_events", index: "actor_conversationId_at", eq: c },
      { table: "ingest_streams", index: "actor_conversationId_streamId", eq: c },
      { table: "sync_jobs", index: "actor_conversationId_createdAt", eq: c },
      { table: "thread_bindings", index: "actor_conversationId_boundAt", eq: c },
      { table: "interrupt_requests", index: "actor_conversationId_requestedAt", eq: c },
      { table: "client_messages", index: "actor_conversationId_state_sentAt", eq: c },
      { special: "agents" }, // before the conversation row: a step that stops between them leaves none unreached
      { special: "conversation" },
    );
  }
  return ranges;
}

/** Every table a plan of this kind touches (for the completeness test). */
export function tablesOf(ranges: Range[]): Set<string> {
  const out = new Set<string>();
  for (const r of ranges) {
    if ("table" in r) out.add(r.table);
    else if (r.special === "sync_sources") ["sync_sources", "sync_chunks", "sync_chunk_payloads", "sync_jobs"].forEach((x) => out.add(x));
    else if (r.special === "conversation") out.add("conversations");
  }
  return out;
}
