import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vActor } from "../validators.js";

export const controlTables = {
  // Written by control.ts: a client asks the host driving a conversation to stop its running turn (requestInterrupt),
  // to resume its goal (requestGoalResume) or to give it a new goal (requestGoal), at most one unhandled per
  // conversation (a newer one asking something else supersedes it); the host says what it did (markInterruptHandled). Read by the host's subscription
  // (getInterruptRequest: the newest) and the page.
  interrupt_requests: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    requestedAt: v.number(),
    action: v.optional(v.union(v.literal("resumeGoal"), v.literal("setGoal"))), // none: stop (interrupt)
    objective: v.optional(v.string()), // setGoal's objective, ≤ GOAL_OBJECTIVE_MAX_CHARS
    // "interrupted": a turn was running and was stopped (an active goal paused too); "idle": none was running;
    // "resumed": the goal is active again (Codex goes on by itself); "noGoal": the thread has no goal to resume;
    // "goalSet": the thread's goal is the requested one, active (Codex works toward it);
    // "stale": made while no host drove the conversation, seen by the next one (which leaves its work alone);
    // "superseded": a newer request asking something else came before a host handled this one; "failed": the host could
    // not do it (Codex went away meanwhile)
    outcome: v.optional(v.union(v.literal("interrupted"), v.literal("idle"), v.literal("stale"), v.literal("resumed"),
      v.literal("noGoal"), v.literal("superseded"), v.literal("failed"), v.literal("goalSet"))),
    handledAt: v.optional(v.number()),
  }).index("actor_conversationId_requestedAt", ["actor", "conversationId", "requestedAt"]),

  // Written by clientMessages.ts: a client (the page, `codex-convex send`) asks the host driving a conversation to
  // take a message: it starts a turn with it when Codex is idle, or steers the running turn with it. Read, queued ones
  // oldest first, by the host's subscription (listQueuedClientMessages), which marks each with what it did.
  client_messages: defineTable({
    actor: vActor,
    conversationId: v.id("conversations"),
    text: v.string(), // ≤ CLIENT_MESSAGE_MAX_CHARS
    plan: v.optional(v.boolean()), // run it in Codex's plan mode (a turn it starts; a steer stays in the turn's mode)
    sentAt: v.number(),
    // "queued": no host has taken it yet; "taking": its host took it (takeClientMessage) and is giving it to Codex;
    // "started": a turn began with it (turnId); "steered": it went into the running turn (turnId); "stale": not taken
    // by a host: sent while no host had the conversation open (marked when the next one binds it, which does not act
    // on it), or its host was lost first (marked by the presence sweep); "unconfirmed": its host took it and was gone
    // before saying what it did (another host bound the conversation, or the sweep found it lost): it may have run;
    // "failed": the host could not give it to Codex (error)
    state: v.union(v.literal("queued"), v.literal("taking"), v.literal("started"), v.literal("steered"), v.literal("stale"),
      v.literal("unconfirmed"), v.literal("failed")),
    takenBy: v.optional(v.id("host_sessions")), // the host session that took it (the conversation's when it did)
    turnId: v.optional(v.string()),
    error: v.optional(v.string()), // ≤ TURN_ERROR_MAX_CHARS
    handledAt: v.optional(v.number()),
  })
    .index("actor_conversationId_state_sentAt", ["actor", "conversationId", "state", "sentAt"]),
};
