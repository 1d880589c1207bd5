/**
 * Conversations and their thread bindings. A conversation (Convex-owned id) is bound to one Codex thread at a
 * time; binding a different thread is explicit (`forceRebind`) and kept as history in `thread_bindings`.
 * Touches conversations, thread_bindings, threads (archive state) and lifecycle_events.
 */
import { paginator } from "convex-helpers/server/pagination";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import schema from "./schema.js";
import { settleUntaken } from "./clientMessages.js";
import { staleUnhandled } from "./control.js";
import { fail } from "./errors.js";
import { readVisible } from "./replace.js";
import { latestTurn } from "./messages.js";
import { checkActor, findConversation, loadWritableConversation } from "./scope.js";
import { CONTRACT_VERSION } from "./version.js";
import { hostPresence, loadSession } from "./presence.js";
import { vHostPresence } from "./tables/presence.js";
import { MAX_PAGE_SIZE, TITLE_MAX_CHARS } from "./limits.js";
import { paginated, vActor, vPaginationOpts, vSyncState, pageSize } from "./validators.js";

export const vConversation = v.object({
  conversationId: v.string(),
  title: v.union(v.string(), v.null()),
  preview: v.union(v.string(), v.null()), // its thread's first user message (folded, cut): a label when untitled
  status: v.union(v.literal("active"), v.literal("archived"), v.literal("deleting")),
  threadId: v.union(v.string(), v.null()),
  syncState: vSyncState,
  activeSyncJobId: v.union(v.string(), v.null()),
  createdAt: v.number(),
  updatedAt: v.number(),
  forkedFromConversationId: v.union(v.string(), v.null()), // a fork: its parent's conversation
  parentConversationId: v.union(v.string(), v.null()), // a sub-agent's: the conversation that spawned it
});

export function toConversation(c: Doc<"conversations">) {
  return {
    conversationId: c._id as string, title: c.title ?? null, preview: c.preview ?? null, status: c.status, threadId: c.threadId ?? null,
    syncState: c.syncState, activeSyncJobId: c.activeSyncJobId ?? null, createdAt: c.createdAt, updatedAt: c.updatedAt,
    forkedFromConversationId: (c.forkedFromConversationId as string | undefined) ?? null,
    parentConversationId: (c.parentConversationId as string | undefined) ?? null,
  };
}

async function bindingOfThread(ctx: MutationCtx, actor: string, threadId: string) {
  return await ctx.db
    .query("conversations")
    .withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", threadId))
    .first();
}

async function bind(ctx: MutationCtx, conv: Doc<"conversations">, threadId: string, reason: string, now: number) {
  const current = await ctx.db
    .query("thread_bindings")
    .withIndex("actor_conversationId_boundAt", (q) => q.eq("actor", conv.actor).eq("conversationId", conv._id))
    .order("desc")
    .first();
  if (current !== null && current.current) await ctx.db.patch("thread_bindings", current._id, { current: false, unboundAt: now });
  await ctx.db.insert("thread_bindings", { actor: conv.actor, conversationId: conv._id, threadId, current: true, boundAt: now, reason });
  await ctx.db.patch("conversations", conv._id, { threadId, syncState: "unsynced", activeSyncJobId: undefined, lastSyncedCursor: undefined, updatedAt: now });
}

/** :throws E_CONVERSATION_BAD_TITLE: a title over TITLE_MAX_CHARS characters. */
function checkTitle(title: string | undefined) {
  if (title !== undefined && title.length > TITLE_MAX_CHARS) fail("E_CONVERSATION_BAD_TITLE", `a title holds at most ${TITLE_MAX_CHARS} characters`);
}

export async function createConversation(ctx: MutationCtx, actor: string, title: string | undefined, now: number) {
  checkActor(actor);
  checkTitle(title);
  const id = await ctx.db.insert("conversations", { actor, title, status: "active", syncState: "unsynced", createdAt: now, updatedAt: now });
  return (await ctx.db.get("conversations", id))!;
}

export const create = mutation({
  args: { actor: vActor, title: v.optional(v.string()) },
  returns: vConversation,
  handler: async (ctx, { actor, title }) => toConversation(await createConversation(ctx, actor, title, Date.now())),
});

/** Open (or find) the conversation bound to `threadId`; never silently moves a thread between conversations. */
export async function openBinding(ctx: MutationCtx, actor: string, threadId: string, conversationId?: string, title?: string) {
  checkActor(actor);
  if (threadId.trim().length === 0 || threadId.length > 200) fail("E_THREAD_BAD_ID", "threadId must be 1-200 characters");
  const now = Date.now();
  const owner = await bindingOfThread(ctx, actor, threadId);
  if (conversationId === undefined) {
    if (owner !== null) {
      if (owner.status === "deleting") fail("E_CONVERSATION_DELETING", "this thread's conversation is being deleted", { threadId });
      if (title !== undefined && owner.title === undefined) {
        // its first title, known only now (a sub-agent's task can come after its first events): never a rename
        checkTitle(title);
        await ctx.db.patch("conversations", owner._id, { title, updatedAt: now });
        return { conversation: (await ctx.db.get("conversations", owner._id))!, created: false };
      }
      return { conversation: owner, created: false };
    }
    const conv = await createConversation(ctx, actor, title, now);
    await bind(ctx, conv, threadId, "open", now);
    return { conversation: (await ctx.db.get("conversations", conv._id))!, created: true };
  }
  const conv = await loadWritableConversation(ctx, actor, conversationId);
  if (owner !== null && owner._id !== conv._id) {
    fail("E_THREAD_BOUND_ELSEWHERE", "this thread is bound to another conversation", { threadId, conversationId: owner._id });
  }
  if (conv.threadId === threadId) return { conversation: conv, created: false };
  if (conv.threadId !== undefined) {
    fail("E_CONVERSATION_BOUND_ELSEWHERE", "the conversation is bound to another thread: use forceRebindConversationSync", { threadId: conv.threadId });
  }
  await bind(ctx, conv, threadId, "open", now);
  return { conversation: (await ctx.db.get("conversations", conv._id))!, created: false };
}

/** Open (or find) the conversation for a thread. Idempotent. */
export const syncOpenBinding = mutation({
  args: { actor: vActor, threadId: v.string(), conversationId: v.optional(v.string()), title: v.optional(v.string()), hostSessionId: v.optional(v.string()) },
  returns: v.object({ conversation: vConversation, created: v.boolean() }),
  handler: async (ctx, { actor, threadId, conversationId, title, hostSessionId }) => {
    const r = await openBinding(ctx, actor, threadId, conversationId, title);
    if (hostSessionId !== undefined) {
      // The host driving the conversation from now on (its presence is what readers see, and what the sweep watches).
      const s = await loadSession(ctx, actor, hostSessionId, true);
      if (r.conversation.hostSessionId !== s._id) await ctx.db.patch("conversations", r.conversation._id, { hostSessionId: s._id });
      // what clients asked while no host had it open is not this host's to act on: stale (a message another host took
      // and never marked: unconfirmed)
      await settleUntaken(ctx, r.conversation, s._id);
      await staleUnhandled(ctx, r.conversation);
    }
    return { conversation: toConversation(r.conversation), created: r.created };
  },
});

export const forceRebind = mutation({
  args: { actor: vActor, conversationId: v.string(), threadId: v.string(), reason: v.optional(v.string()) },
  returns: vConversation,
  handler: async (ctx, { actor, conversationId, threadId, reason }) => {
    const conv = await loadWritableConversation(ctx, actor, conversationId);
    const owner = await bindingOfThread(ctx, actor, threadId);
    if (owner !== null && owner._id !== conv._id) {
      fail("E_THREAD_BOUND_ELSEWHERE", "this thread is bound to another conversation", { threadId });
    }
    const now = Date.now();
    await bind(ctx, conv, threadId, reason ?? "rebind", now);
    await ctx.db.insert("lifecycle_events", { actor, conversationId: conv._id, threadId, kind: "rebind", message: `bound to thread ${threadId}`, at: now });
    return toConversation((await ctx.db.get("conversations", conv._id))!);
  },
});

/** Progress of a sync, written only by the job that owns it (`expectedSyncJobId` guards against stale writers). */
export const markSyncProgress = mutation({
  args: {
    actor: vActor, conversationId: v.string(), syncState: vSyncState,
    expectedSyncJobId: v.optional(v.string()), lastSyncedCursor: v.optional(v.number()),
  },
  returns: v.object({ applied: v.boolean(), conversation: vConversation }),
  handler: async (ctx, { actor, conversationId, syncState, expectedSyncJobId, lastSyncedCursor }) => {
    const conv = await loadWritableConversation(ctx, actor, conversationId);
    if (expectedSyncJobId !== undefined && conv.activeSyncJobId !== expectedSyncJobId) {
      return { applied: false, conversation: toConversation(conv) };
    }
    await ctx.db.patch("conversations", conv._id, { syncState, ...(lastSyncedCursor !== undefined ? { lastSyncedCursor } : {}), updatedAt: Date.now() });
    return { applied: true, conversation: toConversation((await ctx.db.get("conversations", conv._id))!) };
  },
});

async function setArchived(ctx: MutationCtx, actor: string, conversationId: string, archived: boolean) {
  const conv = await loadWritableConversation(ctx, actor, conversationId);
  const now = Date.now();
  const status = archived ? ("archived" as const) : ("active" as const);
  await ctx.db.patch("conversations", conv._id, { status, archivedAt: archived ? now : undefined, updatedAt: now });
  if (conv.threadId !== undefined) {
    const t = await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", conv.threadId!)).unique();
    if (t !== null) await ctx.db.patch("threads", t._id, { status, updatedAt: now });
  }
  return toConversation((await ctx.db.get("conversations", conv._id))!);
}

export const archive = mutation({
  args: { actor: vActor, conversationId: v.string() },
  returns: vConversation,
  handler: async (ctx, { actor, conversationId }) => await setArchived(ctx, actor, conversationId, true),
});

export const unarchive = mutation({
  args: { actor: vActor, conversationId: v.string() },
  returns: vConversation,
  handler: async (ctx, { actor, conversationId }) => await setArchived(ctx, actor, conversationId, false),
});

export const list = query({
  args: { actor: vActor, includeArchived: v.optional(v.boolean()), paginationOpts: vPaginationOpts },
  returns: paginated(vConversation),
  handler: async (ctx, { actor, includeArchived, paginationOpts }) => {
    checkActor(actor);
    const numItems = pageSize(paginationOpts);
    const q = includeArchived
      ? paginator(ctx.db, schema).query("conversations").withIndex("actor_status_updatedAt", (q) => q.eq("actor", actor))
      : paginator(ctx.db, schema).query("conversations").withIndex("actor_status_updatedAt", (q) => q.eq("actor", actor).eq("status", "active"));
    const page = await q.order("desc").paginate({ cursor: paginationOpts.cursor, numItems });
    return { page: page.page.map(toConversation), isDone: page.isDone, continueCursor: page.continueCursor };
  },
});

/** The conversations of the sub-agents a conversation's thread spawned, newest first, at most `n`. */
export async function agentsOf(ctx: QueryCtx, conv: Doc<"conversations">, n: number) {
  return await ctx.db
    .query("conversations")
    .withIndex("actor_parentConversationId", (q) => q.eq("actor", conv.actor).eq("parentConversationId", conv._id))
    .order("desc")
    .take(n);
}

async function forksOf(ctx: QueryCtx, conv: Doc<"conversations">, n: number) {
  return await ctx.db
    .query("conversations")
    .withIndex("actor_forkedFromConversationId", (q) => q.eq("actor", conv.actor).eq("forkedFromConversationId", conv._id))
    .order("desc")
    .take(n);
}

/** A query of the conversations linked to one (`[]` when it is missing or not the actor's). */
function linkedTo(read: typeof agentsOf) {
  return query({
    args: { actor: vActor, conversationId: v.string() },
    returns: v.array(vConversation),
    handler: async (ctx, { actor, conversationId }) => {
      const conv = await findConversation(ctx, actor, conversationId);
      return conv === null ? [] : (await read(ctx, conv, MAX_PAGE_SIZE)).map(toConversation);
    },
  });
}

/** The conversations of the sub-agents this one's thread spawned (newest first, at most MAX_PAGE_SIZE). */
export const listAgents = linkedTo(agentsOf);

/** The conversations forked from this one (newest first, at most MAX_PAGE_SIZE). */
export const listForks = linkedTo(forksOf);

export const get = query({
  args: { actor: vActor, conversationId: v.string() },
  returns: v.union(v.object({ found: v.literal(false) }), v.object({ found: v.literal(true), conversation: vConversation })),
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    return conv === null ? { found: false as const } : { found: true as const, conversation: toConversation(conv) };
  },
});

export const vThreadSummary = v.object({
  threadId: v.string(),
  current: v.boolean(),
  status: v.union(v.literal("active"), v.literal("archived")),
  name: v.union(v.string(), v.null()),
  preview: v.union(v.string(), v.null()),
  cwd: v.union(v.string(), v.null()), // Codex's working folder for the thread
  forkedFromId: v.union(v.string(), v.null()), // Codex's: the thread this one was forked from
  turnCount: v.number(),
  messageCount: v.number(),
  boundAt: v.number(),
  updatedAt: v.number(),
});

/** The threads a conversation has been bound to, newest binding first (`[]` for a missing conversation). */
export const listThreads = query({
  args: { actor: vActor, conversationId: v.string(), includeArchived: v.optional(v.boolean()) },
  returns: v.array(vThreadSummary),
  handler: async (ctx, { actor, conversationId, includeArchived }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    if (conv === null) return [];
    const bindings = await ctx.db
      .query("thread_bindings")
      .withIndex("actor_conversationId_boundAt", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc")
      .take(MAX_PAGE_SIZE);
    const out = [];
    for (const b of bindings) {
      const t = await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", b.threadId)).unique();
      const status = t?.status ?? "active";
      if (status === "archived" && !includeArchived) continue;
      out.push({
        threadId: b.threadId, current: b.current, status, name: t?.name ?? null, preview: t?.preview ?? null,
        cwd: t?.cwd ?? null, forkedFromId: t?.forkedFromId ?? null, turnCount: t?.turnCount ?? 0, messageCount: t?.messageCount ?? 0, boundAt: b.boundAt, updatedAt: t?.updatedAt ?? b.boundAt,
      });
    }
    return out;
  },
});

export const validateHostWiring = query({
  args: { actor: vActor, conversationId: v.optional(v.string()) },
  returns: v.object({ ok: v.boolean(), contractVersion: v.number(), conversationFound: v.union(v.boolean(), v.null()) }),
  handler: async (ctx, { actor, conversationId }) => {
    checkActor(actor);
    const found = conversationId === undefined ? null : (await findConversation(ctx, actor, conversationId)) !== null;
    return { ok: true, contractVersion: CONTRACT_VERSION, conversationFound: found };
  },
});

/** A conversation at a glance; `{found:false}` when missing or not the actor's. */
export const summary = query({
  args: { actor: vActor, conversationId: v.string() },
  returns: v.union(
    v.object({ found: v.literal(false) }),
    v.object({
      found: v.literal(true),
      conversation: vConversation,
      turnCount: v.number(),
      messageCount: v.number(),
      pendingRequests: v.number(),
      lastTurnStatus: v.union(v.string(), v.null()),
      totalTokens: v.union(v.number(), v.null()),
      host: vHostPresence,
    }),
  ),
  handler: async (ctx, { actor, conversationId }) => {
    const conv = await findConversation(ctx, actor, conversationId);
    if (conv === null) return { found: false as const };
    const thread = conv.threadId === undefined ? null
      : await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", actor).eq("threadId", conv.threadId!)).unique();
    const lastTurn = await latestTurn(ctx, actor, conv.threadId);
    const pending = await readVisible(ctx, actor, conv.threadId, (hide) => hide(ctx.db
      .query("server_requests")
      .withIndex("actor_conversationId_status", (q) => q.eq("actor", actor).eq("conversationId", conv._id).eq("status", "pending")))
      .take(MAX_PAGE_SIZE));
    const usage = (await readVisible(ctx, actor, conv.threadId, (hide) => hide(ctx.db
      .query("token_usage")
      .withIndex("actor_conversationId_updatedAt", (q) => q.eq("actor", actor).eq("conversationId", conv._id))
      .order("desc"))
      .take(1)))[0] ?? null;
    return {
      found: true as const, conversation: toConversation(conv), turnCount: thread?.turnCount ?? 0,
      messageCount: thread?.messageCount ?? 0, pendingRequests: pending.length, lastTurnStatus: lastTurn?.status ?? null,
      totalTokens: usage?.totalTokens ?? null, host: await hostPresence(ctx, conv),
    };
  },
});
