import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vActor } from "../validators.js";

export const controlTables = {
  // Written by control.ts: a client asks the host driving a conversation to stop its running turn (requestInterrupt,
  // at most one unhandled per conversation), the host says what it did (markInterruptHandled). Read by the host's
  // subscription (getInterruptRequest: the newest) and the page.
  interrupt_requests: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    requestedAt: v.number(),
    // "interrupted": a turn was running and was stopped (an active goal paused too); "idle": none was running;
    // "stale": made while no host drove the conversation, seen by the next one (which leaves its work alone)
    outcome: v.optional(v.union(v.literal("interrupted"), v.literal("idle"), v.literal("stale"))),
    handledAt: v.optional(v.number()),
  }).index("actor_conversationId_requestedAt", ["actor", "conversationId", "requestedAt"]),
};
