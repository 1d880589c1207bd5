import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vActor } from "../validators.js";

export const controlTables = {
  // Written by control.ts: a client asks the host driving a conversation to stop its running turn (requestInterrupt)
  // or to resume its goal (requestGoalResume), at most one unhandled per conversation (a newer one of the other kind
  // supersedes it); the host says what it did (markInterruptHandled). Read by the host's subscription
  // (getInterruptRequest: the newest) and the page.
  interrupt_requests: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    requestedAt: v.number(),
    action: v.optional(v.literal("resumeGoal")), // none: stop (interrupt)
    // "interrupted": a turn was running and was stopped (an active goal paused too); "idle": none was running;
    // "resumed": the goal is active again (Codex goes on by itself); "noGoal": the thread has no goal to resume;
    // "stale": made while no host drove the conversation, seen by the next one (which leaves its work alone);
    // "superseded": a newer request of the other kind came before a host handled this one; "failed": the host could
    // not do it (Codex went away meanwhile)
    outcome: v.optional(v.union(v.literal("interrupted"), v.literal("idle"), v.literal("stale"), v.literal("resumed"),
      v.literal("noGoal"), v.literal("superseded"), v.literal("failed"))),
    handledAt: v.optional(v.number()),
  }).index("actor_conversationId_requestedAt", ["actor", "conversationId", "requestedAt"]),
};
