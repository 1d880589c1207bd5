/**
 * Live replication: sequenced batches of host events per (conversation, host stream).
 *
 * The stream row holds the next expected sequence number. A batch starting there is applied whole (one
 * transaction) and advances it; a batch wholly below it is a duplicate (nothing written); a batch overlapping it
 * applies only its new tail; a batch starting above it is a gap: nothing is written and the answer names the
 * sequence to re-send from. Nothing is dropped silently: every answer says what happened.
 */
import { v } from "convex/values";
import { mutation } from "./_generated/server.js";
import { fail } from "./errors.js";
import { applyEvents } from "./ingestApply.js";
import { vIngestEvent } from "./ingestEvents.js";
import { MAX_EVENTS_PER_BATCH } from "./limits.js";
import { refuseWhileReplacing } from "./replace.js";
import { loadWritableConversation } from "./scope.js";
import { vActor } from "./validators.js";

/** A conversation's `updatedAt` follows live activity to this resolution (see ingestBatch). */
export const ACTIVITY_RESOLUTION_MS = 10_000;

export const vIngestResult = v.object({
  status: v.union(v.literal("accepted"), v.literal("duplicate"), v.literal("gap")),
  nextSeq: v.number(),
  applied: v.number(),
});

export const ingestBatch = mutation({
  args: { actor: vActor, conversationId: v.string(), streamId: v.string(), seq: v.number(), events: v.array(vIngestEvent) },
  returns: vIngestResult,
  handler: async (ctx, { actor, conversationId, streamId, seq, events }) => {
    if (!Number.isInteger(seq) || seq < 0) fail("E_INGEST_BAD_SEQ", "seq must be an integer ≥ 0", { seq });
    if (events.length === 0 || events.length > MAX_EVENTS_PER_BATCH) {
      fail("E_INGEST_BAD_BATCH", `a batch carries 1 to ${MAX_EVENTS_PER_BATCH} events`, { events: events.length });
    }
    if (streamId.length === 0 || streamId.length > 200) fail("E_INGEST_BAD_STREAM", "streamId must be 1-200 characters");
    const conv = await loadWritableConversation(ctx, actor, conversationId);
    if (conv.status === "archived") fail("E_CONVERSATION_ARCHIVED", "unarchive the conversation before writing to it");
    await refuseWhileReplacing(ctx, actor, conv.threadId);
    const stream = await ctx.db
      .query("ingest_streams")
      .withIndex("actor_conversationId_streamId", (q) => q.eq("actor", actor).eq("conversationId", conv._id).eq("streamId", streamId))
      .unique();
    const expected = stream?.nextSeq ?? 0;
    if (seq > expected) return { status: "gap" as const, nextSeq: expected, applied: 0 };
    if (seq + events.length <= expected) return { status: "duplicate" as const, nextSeq: expected, applied: 0 };
    const fresh = events.slice(expected - seq);
    await applyEvents(ctx, conv, fresh);
    const nextSeq = seq + events.length;
    const now = Date.now();
    if (stream === null) {
      await ctx.db.insert("ingest_streams", { actor, conversationId: conv._id, streamId, nextSeq, updatedAt: now });
    } else {
      await ctx.db.patch("ingest_streams", stream._id, { nextSeq, updatedAt: now });
    }
    // Live replication keeps a conversation in sync; an import in progress keeps its own state. The conversation row
    // is read by every list and view subscription and written by sync jobs and archive: it is not rewritten by every
    // batch (each write would re-run those subscriptions and widen Convex's OCC conflicts), only when its state
    // changes, a turn starts (once per turn: views show the turn began), or its activity time is
    // ACTIVITY_RESOLUTION_MS stale.
    const startsTurn = fresh.some((e) => e.type === "turnStarted");
    if (conv.syncState === "unsynced" || startsTurn || now - conv.updatedAt >= ACTIVITY_RESOLUTION_MS) {
      await ctx.db.patch("conversations", conv._id, { updatedAt: now, ...(conv.syncState === "unsynced" ? { syncState: "synced" as const } : {}) });
    }
    return { status: "accepted" as const, nextSeq, applied: fresh.length };
  },
});
