/** Turn-level data lifecycle (upstream's `turns.*` names). */
import { v } from "convex/values";
import { mutation } from "./_generated/server.js";
import { scheduleDeletion, toDeletionJob, vDeletionJob } from "./deletion.js";
import { vActor } from "./validators.js";

export const deleteCascade = mutation({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), batchSize: v.optional(v.number()) },
  returns: vDeletionJob,
  handler: async (ctx, { actor, threadId, turnId, batchSize }) =>
    toDeletionJob(await scheduleDeletion(ctx, actor, { kind: "turn", threadId, turnId }, 0, batchSize)),
});

export const scheduleDeleteCascade = mutation({
  args: { actor: vActor, threadId: v.string(), turnId: v.string(), delayMs: v.optional(v.number()), batchSize: v.optional(v.number()) },
  returns: vDeletionJob,
  handler: async (ctx, { actor, threadId, turnId, delayMs, batchSize }) =>
    toDeletionJob(await scheduleDeletion(ctx, actor, { kind: "turn", threadId, turnId }, delayMs ?? 10 * 60 * 1000, batchSize)),
});
