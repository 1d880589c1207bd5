import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vActor } from "../validators.js";

export const vHostState = v.union(v.literal("online"), v.literal("ended"), v.literal("lost"));

/** What a reader shows of a conversation's host (null: no host ever drove it). */
export const vHostPresence = v.union(
  v.object({ hostId: v.string(), label: v.string(), online: v.boolean(), lastSeenAt: v.number() }),
  v.null(),
);

export const presenceTables = {
  // Written by presence.ts: open (insert or revive), heartbeat (lastSeenAt only: its own row, never a conversation's),
  // close, and the sweep (lost). Read by the conversation view and summary (hostOnline), respondServerRequest and
  // the sweep. One row per host process (`hostId`, chosen by the host).
  host_sessions: defineTable({
    actor: vActor,
    hostId: v.string(),
    label: v.string(), // e.g. the machine's name
    version: v.string(), // the host package's version
    state: vHostState,
    heartbeatMs: v.number(),
    timeoutMs: v.number(), // silent this long: lost
    startedAt: v.number(),
    lastSeenAt: v.number(),
    endedAt: v.optional(v.number()),
    lostAt: v.optional(v.number()),
    sweepCursor: v.optional(v.string()), // how far the sweep of a lost session's conversations got
    checkLease: v.optional(v.number()), // the live chain of checks: one scheduled before a reopen does nothing
  }).index("actor_hostId", ["actor", "hostId"]),
};
