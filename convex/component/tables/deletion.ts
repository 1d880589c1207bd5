import { defineTable } from "convex/server";
import { v } from "convex/values";
import { vActor } from "../validators.js";

// The job engine's states (jobEngine.ts) under their deletion names: scheduled = queued, completed = succeeded.
export const vDeletionPhase = v.union(
  v.literal("scheduled"), v.literal("running"), v.literal("retry_wait"), v.literal("completed"), v.literal("cancelled"),
  v.literal("failed"),
);
export const vDeletionTarget = v.union(
  v.object({ kind: v.literal("thread"), threadId: v.string() }),
  v.object({ kind: v.literal("turn"), threadId: v.string(), turnId: v.string() }),
  v.object({ kind: v.literal("actor") }),
);

export const deletionTables = {
  // Written by deletion.ts (schedule, steps, cancel, force-run); read by getDeletionJobStatus (subscribed).
  deletion_jobs: defineTable({
    actor: vActor,
    target: vDeletionTarget,
    phase: vDeletionPhase,
    runAt: v.number(),
    lease: v.number(), // fencing token of the scheduled step
    step: v.number(), // index into the deletion plan (one entry per table range)
    counts: v.record(v.string(), v.number()), // rows deleted per table
    batchSize: v.number(),
    attempts: v.optional(v.number()), // failed attempts of the current step (retried with backoff, then failed)
    retryAt: v.optional(v.number()), // when a retry_wait job runs its step again
    createdAt: v.number(),
    updatedAt: v.number(),
    finishedAt: v.optional(v.number()),
    error: v.optional(v.object({ code: v.string(), message: v.string() })),
  })
    .index("actor_createdAt", ["actor", "createdAt"])
    .index("actor_phase_runAt", ["actor", "phase", "runAt"]),
};
