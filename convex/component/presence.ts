/**
 * Host presence. Each host process opens a session and heartbeats it (its own row, at a rate that does not depend
 * on streaming). A session's check, scheduled with it, looks again whenever the session should have been seen:
 * one silent past its timeout is `lost`, and the sweep ends what its conversations had open — in-progress turns
 * `interrupted` (E_HOST_LOST), streaming messages closed, pending requests expired — in bounded batches, never
 * touching a conversation a newer host has taken over. A lost host that heartbeats again is online again (and
 * reconciles from Codex, the truth). A cleanly closed session ends without a sweep.
 */
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { settleUntaken } from "./clientMessages.js";
import { internalMutation, mutation, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { turnCompleted } from "./ingestApply.js";
import { restartStalled } from "./replace.js";
import { checkActor, findThread } from "./scope.js";
import { vHostState } from "./tables/presence.js";
export { vHostPresence } from "./tables/presence.js";
import { vActor } from "./validators.js";

export const DEFAULT_HEARTBEAT_MS = 20_000;
export const DEFAULT_TIMEOUT_MS = 90_000;
const MAX_TIMEOUT_MS = 60 * 60 * 1000;
const SWEEP_CONVERSATIONS = 16; // per run of the sweep
const RECENT_TURNS = 8; // a conversation's newest turns: the only ones a host can have had in progress

export const vHostSession = v.object({
  sessionId: v.string(),
  hostId: v.string(),
  label: v.string(),
  state: vHostState,
  heartbeatMs: v.number(),
  timeoutMs: v.number(),
  lastSeenAt: v.number(),
});

function toSession(s: Doc<"host_sessions">) {
  return { sessionId: s._id as string, hostId: s.hostId, label: s.label, state: s.state, heartbeatMs: s.heartbeatMs, timeoutMs: s.timeoutMs, lastSeenAt: s.lastSeenAt };
}

/** The session of the host driving a conversation (null: no host ever drove it). */
async function sessionOf(ctx: QueryCtx, conv: Doc<"conversations">) {
  return conv.hostSessionId === undefined ? null : await ctx.db.get("host_sessions", conv.hostSessionId);
}

export async function hostPresence(ctx: QueryCtx, conv: Doc<"conversations">) {
  const s = await sessionOf(ctx, conv);
  return s === null ? null : { hostId: s.hostId, label: s.label, online: s.state === "online", lastSeenAt: s.lastSeenAt };
}

/** Refuse a write only a live host can act on (`what`: an answer to its approval, a client's message) when the
 * conversation's host is gone. */
export async function requireHostOnline(ctx: QueryCtx, conv: Doc<"conversations">, what = "the answer") {
  const s = await sessionOf(ctx, conv);
  if (s !== null && s.state !== "online") {
    fail("E_HOST_OFFLINE", `the host driving this conversation is ${s.state === "lost" ? "gone (no heartbeat)" : "stopped"}: nobody can act on ${what}`, { hostId: s.hostId });
  }
}

/** The caller's session. :fails E_HOST_SESSION_NOT_FOUND (missing or another actor's), E_HOST_SESSION_ENDED when
 * `live` and it was closed. */
export async function loadSession(ctx: QueryCtx, actor: string, sessionId: string, live = false): Promise<Doc<"host_sessions">> {
  checkActor(actor);
  const id = ctx.db.normalizeId("host_sessions", sessionId);
  const s = id === null ? null : await ctx.db.get("host_sessions", id);
  if (s === null || s.actor !== actor) fail("E_HOST_SESSION_NOT_FOUND", "no such host session", { sessionId });
  if (live && s.state === "ended") fail("E_HOST_SESSION_ENDED", "the session was closed: open a new one");
  return s;
}

/** Schedule the session's next check, when it should have been seen next; `fresh` starts a new chain of checks
 * (a reopen or a revival), fencing off the one before. */
async function scheduleCheck(ctx: MutationCtx, s: Doc<"host_sessions">, lastSeenAt: number, fresh: boolean) {
  const lease = (s.checkLease ?? 0) + (fresh ? 1 : 0);
  if (fresh) await ctx.db.patch("host_sessions", s._id, { checkLease: lease });
  await ctx.scheduler.runAt(lastSeenAt + s.timeoutMs + 1, internal.presence.check, { sessionId: s._id, lease });
}

export const open = mutation({
  args: { actor: vActor, hostId: v.string(), label: v.string(), version: v.string(), heartbeatMs: v.optional(v.number()), timeoutMs: v.optional(v.number()) },
  returns: vHostSession,
  handler: async (ctx, { actor, hostId, label, version, heartbeatMs, timeoutMs }) => {
    checkActor(actor);
    if (hostId.length < 1 || hostId.length > 200 || label.length > 200 || version.length > 100) {
      fail("E_HOST_BAD_SESSION", "hostId is 1-200 characters, label at most 200, version at most 100");
    }
    const beat = heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const timeout = timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(beat) || beat < 100 || !Number.isFinite(timeout) || timeout < 2 * beat || timeout > MAX_TIMEOUT_MS) {
      fail("E_HOST_BAD_SESSION", `the timeout must be at least two heartbeats and at most ${MAX_TIMEOUT_MS} ms`, { heartbeatMs: beat, timeoutMs: timeout });
    }
    const now = Date.now();
    const existing = await ctx.db.query("host_sessions").withIndex("actor_hostId", (q) => q.eq("actor", actor).eq("hostId", hostId)).unique();
    const fields = { label, version, state: "online" as const, heartbeatMs: beat, timeoutMs: timeout, lastSeenAt: now, endedAt: undefined, lostAt: undefined, sweepCursor: undefined };
    let id: Id<"host_sessions">;
    if (existing !== null) {
      await ctx.db.patch("host_sessions", existing._id, fields);
      id = existing._id;
    } else {
      id = await ctx.db.insert("host_sessions", { actor, hostId, startedAt: now, ...fields });
    }
    const s = (await ctx.db.get("host_sessions", id))!;
    await scheduleCheck(ctx, s, now, true);
    return toSession((await ctx.db.get("host_sessions", id))!);
  },
});

/** A heartbeat: `lastSeenAt` on the session's own row. A lost session is online again (`revived`: reconcile). */
export const heartbeat = mutation({
  args: { actor: vActor, sessionId: v.string() },
  returns: v.object({ state: vHostState, revived: v.boolean(), lastSeenAt: v.number() }),
  handler: async (ctx, { actor, sessionId }) => {
    const s = await loadSession(ctx, actor, sessionId, true);
    const now = Date.now();
    const revived = s.state === "lost";
    await ctx.db.patch("host_sessions", s._id, { lastSeenAt: now, ...(revived ? { state: "online" as const, lostAt: undefined, sweepCursor: undefined } : {}) });
    if (revived) await scheduleCheck(ctx, s, now, true);
    return { state: "online" as const, revived, lastSeenAt: now };
  },
});

/** A clean stop: the session ends (no sweep: the host flushed everything it had). */
export const close = mutation({
  args: { actor: vActor, sessionId: v.string() },
  returns: vHostSession,
  handler: async (ctx, { actor, sessionId }) => {
    const s = await loadSession(ctx, actor, sessionId);
    if (s.state !== "ended") await ctx.db.patch("host_sessions", s._id, { state: "ended", endedAt: Date.now() });
    return toSession((await ctx.db.get("host_sessions", s._id))!);
  },
});

/** The session's check: not seen for its timeout → lost, then sweep its conversations a batch at a time. */
export const check = internalMutation({
  args: { sessionId: v.id("host_sessions"), lease: v.optional(v.number()) },
  returns: v.null(),
  handler: async (ctx, { sessionId, lease }) => {
    const s = await ctx.db.get("host_sessions", sessionId);
    if (s === null || s.state === "ended" || (lease ?? 0) !== (s.checkLease ?? 0)) return null; // ended, or fenced off
    const now = Date.now();
    if (s.state === "online") {
      if (now < s.lastSeenAt + s.timeoutMs) {
        await scheduleCheck(ctx, s, s.lastSeenAt, false); // seen since: look again when it should be seen next
        return null;
      }
      await ctx.db.patch("host_sessions", s._id, { state: "lost", lostAt: now });
    }
    const page = await ctx.db
      .query("conversations")
      .withIndex("actor_hostSessionId", (q) => q.eq("actor", s.actor).eq("hostSessionId", s._id))
      .paginate({ cursor: s.sweepCursor ?? null, numItems: SWEEP_CONVERSATIONS });
    for (const conv of page.page) {
      await endOpenTurns(ctx, conv, s, now);
      await settleUntaken(ctx, conv); // messages it never took: stale (nobody runs them); ones it took: unconfirmed
    }
    if (!page.isDone) {
      await ctx.db.patch("host_sessions", s._id, { sweepCursor: page.continueCursor });
      await ctx.scheduler.runAfter(0, internal.presence.check, { sessionId, lease: s.checkLease ?? 0 });
    }
    return null;
  },
});

async function endOpenTurns(ctx: MutationCtx, conv: Doc<"conversations">, s: Doc<"host_sessions">, now: number) {
  if (conv.threadId === undefined || conv.status === "deleting") return;
  const threadId = conv.threadId;
  const t = await findThread(ctx, conv.actor, threadId);
  if (t?.replace !== undefined) {
    await restartStalled(ctx, t); // a sync job is replacing its turns: they are left to the next sweep
    return;
  }
  const recent = await ctx.db
    .query("turns")
    .withIndex("actor_threadId_ordinal", (q) => q.eq("actor", conv.actor).eq("threadId", threadId))
    .order("desc")
    .take(RECENT_TURNS);
  const error = {
    message: `E_HOST_LOST: the host "${s.label}" stopped heartbeating (last seen ${new Date(s.lastSeenAt).toISOString()})`,
    detailsJson: JSON.stringify({ code: "E_HOST_LOST", hostId: s.hostId, lastSeenAt: s.lastSeenAt }),
  };
  for (const turn of recent) {
    if (turn.status !== "inProgress") continue;
    await turnCompleted(ctx, conv, { type: "turnCompleted", threadId, turnId: turn.turnId, status: "interrupted", error, at: now });
  }
}

export type { Id };
