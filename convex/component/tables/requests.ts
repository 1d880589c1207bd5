import { defineTable } from "convex/server";
import { v } from "convex/values";
import { replaceTags, tokenCounts, vActor, vRequestStatus } from "../validators.js";

export const requestTables = {
  // Written by ingest (serverRequest → pending; serverRequestResolved/turn end → answered|expired) and by
  // respondServerRequest (a decision from any client); read by the host (subscribed) and UIs.
  // Approvals are server requests whose method ends in /requestApproval. Nothing is auto-accepted.
  server_requests: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    threadId: v.string(),
    turnId: v.string(),
    itemId: v.optional(v.string()),
    requestId: v.string(), // Codex's JSON-RPC id, as a string, unique per host process: scoped by threadId+turnId
    method: v.string(),
    paramsJson: v.string(), // ≤ SERVER_REQUEST_PARAMS_MAX_CHARS: Codex's params, long strings cut when over it
    paramsClipped: v.optional(v.boolean()), // true: they were (the item's JSON holds the whole command or change)
    status: vRequestStatus,
    decisionJson: v.optional(v.string()), // the answer to send to Codex
    answeredBy: v.optional(v.string()),
    answeredAt: v.optional(v.number()),
    forwardedAt: v.optional(v.number()), // when the host handed the decision to Codex
    createdAt: v.number(),
    ...replaceTags,
  })
    .index("actor_threadId_status", ["actor", "threadId", "status"])
    .index("actor_conversationId_status", ["actor", "conversationId", "status"])
    .index("actor_threadId_turnId_requestId", ["actor", "threadId", "turnId", "requestId"])
    .index("actor_threadId_turnId_status", ["actor", "threadId", "turnId", "status"]),

  // Written by ingest (tokenUsage); read by getTokenUsage. One row per turn (the latest report wins).
  token_usage: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    threadId: v.string(),
    turnId: v.string(),
    ...tokenCounts,
    contextWindow: v.optional(v.number()),
    updatedAt: v.number(),
    ...replaceTags,
  })
    .index("actor_threadId_turnId", ["actor", "threadId", "turnId"])
    .index("actor_conversationId_updatedAt", ["actor", "conversationId", "updatedAt"]),

  // Written by ingest (errors, warnings, lifecycle) and conversation changes; read by the conversation view (notices).
  lifecycle_events: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    threadId: v.optional(v.string()),
    turnId: v.optional(v.string()),
    kind: v.string(),
    message: v.string(),
    detailsJson: v.optional(v.string()),
    at: v.number(),
    ...replaceTags,
  })
    .index("actor_conversationId_at", ["actor", "conversationId", "at"])
    .index("actor_threadId_turnId_at", ["actor", "threadId", "turnId", "at"]),

  // Written by ingest only: the next sequence number of each host stream into a conversation. One row per
  // (conversation, stream): never shared across conversations, so concurrent hosts never conflict on it.
  ingest_streams: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    streamId: v.string(),
    nextSeq: v.number(),
    updatedAt: v.number(),
  }).index("actor_conversationId_streamId", ["actor", "conversationId", "streamId"]),
};
