import { defineTable } from "convex/server";
import { v } from "convex/values";
import { replaceTags, vActor, vSyncState, vThreadGoal } from "../validators.js";

export const conversationTables = {
  // Written by conversations.ts (create, archive, bind) and ingest (lastActivityAt); read by every list/read query.
  // The row's _id is the conversationId: Convex-owned, what UIs read by.
  conversations: defineTable({
    actor: vActor,
    title: v.optional(v.string()),
    // Its thread's first user message, whitespace folded, its first TITLE_MAX_CHARS: what lists show without a title.
    preview: v.optional(v.string()),
    // "deleting": a deletion job is removing it; writes are refused (E_CONVERSATION_DELETING).
    status: v.union(v.literal("active"), v.literal("archived"), v.literal("deleting")),
    threadId: v.optional(v.string()), // the Codex thread currently bound
    syncState: vSyncState,
    activeSyncJobId: v.optional(v.string()),
    lastSyncedCursor: v.optional(v.number()),
    createdAt: v.number(),
    updatedAt: v.number(),
    archivedAt: v.optional(v.number()),
    hostSessionId: v.optional(v.id("host_sessions")), // the host driving it (set when a host binds its thread)
    // A fork: the conversation of the thread its thread was forked from (Codex's forkedFromId), once that is here.
    forkedFromConversationId: v.optional(v.id("conversations")),
    // A sub-agent's: the conversation of the thread that spawned it (Codex's parentThreadId), once that is here.
    parentConversationId: v.optional(v.id("conversations")),
  })
    .index("actor_status_updatedAt", ["actor", "status", "updatedAt"])
    .index("actor_threadId", ["actor", "threadId"])
    .index("actor_hostSessionId", ["actor", "hostSessionId"])
    .index("actor_forkedFromConversationId", ["actor", "forkedFromConversationId"])
    .index("actor_parentConversationId", ["actor", "parentConversationId"]),

  // Written by conversations.ts on bind and rebind (one row per binding, `current` on the live one); read by
  // listThreadsForConversation and sync progress. Rebinding is explicit and keeps the history.
  thread_bindings: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    threadId: v.string(),
    current: v.boolean(),
    boundAt: v.number(),
    unboundAt: v.optional(v.number()),
    reason: v.optional(v.string()),
  })
    .index("actor_conversationId_boundAt", ["actor", "conversationId", "boundAt"])
    .index("actor_threadId", ["actor", "threadId"]),

  // Written by ingest (threadStarted, meta) and archive; read by thread lists. One row per Codex thread.
  threads: defineTable({
    actor: vActor,
    threadId: v.string(),
    conversationId: v.id("conversations"),
    status: v.union(v.literal("active"), v.literal("archived")),
    name: v.optional(v.string()),
    preview: v.optional(v.string()),
    cwd: v.optional(v.string()),
    model: v.optional(v.string()),
    forkedFromId: v.optional(v.string()), // Codex's: the thread this one was forked from
    parentThreadId: v.optional(v.string()), // Codex's: a sub-agent's, the thread that spawned it
    goal: v.optional(vThreadGoal), // Codex's goal for the thread, live (threadGoal events); none when cleared
    // Codex's own JSON of the thread (threadJson events) lives in thread_parts: how many, how many arrived, its hash.
    jsonPartCount: v.optional(v.number()),
    jsonPartsReceived: v.optional(v.number()),
    jsonSha256: v.optional(v.string()),
    // The prefix of turns whose digests chain (ordinals 0..syncedTurns-1), and the chain's hash: what a sync holds.
    syncedTurns: v.optional(v.number()),
    prefixHash: v.optional(v.string()),
    turnCount: v.number(),
    messageCount: v.number(),
    createdAt: v.number(),
    updatedAt: v.number(),
    // A sync job replacing turns past `keepTurns` (replace.ts): its rows are tagged; `swapped` once they show.
    // `cursor`: the ordinal its clean-up (after the swap, or after the job stopped short of it) has reached.
    // `retiredMessages`: how many messages the retired turns hold (the thread's count drops by it at the swap);
    // `at`: when a step of it last ran (a clean-up quiet for long is started again: replace.ts restartStalled).
    replace: v.optional(v.object({
      jobId: v.id("sync_jobs"), keepTurns: v.number(), swapped: v.boolean(), cursor: v.optional(v.number()),
      retiredMessages: v.optional(v.number()), at: v.optional(v.number()),
    })),
  })
    .index("actor_threadId", ["actor", "threadId"])
    .index("actor_conversationId_updatedAt", ["actor", "conversationId", "updatedAt"])
    .index("actor_forkedFromId", ["actor", "forkedFromId"])
    .index("actor_parentThreadId", ["actor", "parentThreadId"]),

  // Written by ingest (threadJson); read by getThreadJson. One part of a thread's own Codex JSON.
  thread_parts: defineTable({
    actor: vActor,
    threadId: v.string(),
    part: v.number(),
    data: v.string(),
    ...replaceTags,
  }).index("actor_threadId_part", ["actor", "threadId", "part"]),
};
