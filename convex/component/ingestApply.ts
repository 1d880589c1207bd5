/**
 * Applying host events to the conversation tables, in one transaction. Shared by live ingest (ingest.ts) and
 * the sync job (syncJobs.ts), so imported and live conversations land in the same rows.
 *
 * Idempotent per event: a re-applied turn/item/request/usage event rewrites the same row; deltas carry their
 * position and are skipped when already applied.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { type IngestEvent } from "./ingestEvents.js";
import { GOAL_OBJECTIVE_MAX_CHARS, INLINE_VIEW_PARTS, MAX_RECONCILE_ITEM_ROWS, MAX_RECONCILE_REMOVALS, MAX_THREAD_JSON_PARTS, MESSAGE_SUMMARY_MAX_CHARS, PART_MAX_CHARS, PLAN_EXPLANATION_MAX_CHARS, PLAN_MAX_STEPS, PLAN_STEP_MAX_CHARS, NOTICE_DETAILS_MAX_CHARS, NOTICE_MAX_CHARS, PREVIEW_MAX_CHARS, SEGMENT_MAX_CHARS, SERVER_REQUEST_PARAMS_MAX_CHARS, THREAD_FIELD_MAX_CHARS, TITLE_MAX_CHARS, TURN_ERROR_MAX_CHARS, TURN_JSON_MAX_CHARS } from "./limits.js";
import { sha256Hex, SHA256_HEX } from "./hashing.js";
import { messageView } from "./itemMessages.js";
import { bytesBefore, streamedBytes } from "./messages.js";
import { cutText, splitText, utf8Bytes } from "./text.js";

type Conv = Doc<"conversations">;
type Ev<T extends IngestEvent["type"]> = Extract<IngestEvent, { type: T }>;

export async function applyEvents(ctx: MutationCtx, conv: Conv, events: IngestEvent[]): Promise<void> {
  for (const e of events) {
    if ("threadId" in e && e.threadId !== undefined && e.threadId !== conv.threadId) {
      fail("E_INGEST_THREAD_NOT_BOUND", "the event's thread is not the one bound to this conversation", {
        threadId: e.threadId,
      });
    }
    switch (e.type) {
      case "threadMeta":
        await threadMeta(ctx, conv, e);
        break;
      case "threadJson":
        await threadJson(ctx, conv, e);
        break;
      case "turnStarted": {
        const turn = await ensureTurn(ctx, conv, e.threadId, e.turnId, e.at);
        if (e.json !== undefined && turn.status === "inProgress") await ctx.db.patch("turns", turn._id, { json: checkTurnJson(e.json, e.turnId) });
        break;
      }
      case "turnCompleted":
        await turnCompleted(ctx, conv, e);
        break;
      case "item":
        await itemPart(ctx, conv, e);
        break;
      case "messageDelta":
        await messageDelta(ctx, conv, e);
        break;
      case "messageText":
        await messageText(ctx, conv, e);
        break;
      case "serverRequest":
        await serverRequest(ctx, conv, e);
        break;
      case "serverRequestResolved":
        await serverRequestResolved(ctx, conv, e);
        break;
      case "tokenUsage":
        await tokenUsage(ctx, conv, e);
        break;
      case "turnPlan":
        await turnPlan(ctx, conv, e);
        break;
      case "threadGoal":
        if (e.goal !== null && e.goal.objective.length > GOAL_OBJECTIVE_MAX_CHARS) {
          fail("E_INGEST_GOAL_TOO_LARGE", `a goal's objective holds at most ${GOAL_OBJECTIVE_MAX_CHARS} characters: clip it`, { threadId: e.threadId, chars: e.goal.objective.length });
        }
        await ctx.db.patch("threads", (await ensureThread(ctx, conv, e.threadId, e.at))._id, { goal: e.goal ?? undefined });
        break;
      case "lifecycle":
        if (e.message.length > NOTICE_MAX_CHARS || (e.detailsJson?.length ?? 0) > NOTICE_DETAILS_MAX_CHARS) {
          fail("E_INGEST_NOTICE_TOO_LARGE", `a notice holds a message of at most ${NOTICE_MAX_CHARS} characters and details of at most ${NOTICE_DETAILS_MAX_CHARS}: clip them`, { kind: e.kind, chars: e.message.length });
        }
        await ctx.db.insert("lifecycle_events", {
          actor: conv.actor, conversationId: conv._id, threadId: e.threadId, turnId: e.turnId, kind: e.kind,
          message: e.message, detailsJson: e.detailsJson, at: e.at,
        });
        break;
    }
  }
}

export async function ensureThread(ctx: MutationCtx, conv: Conv, threadId: string, at: number): Promise<Doc<"threads">> {
  const existing = await ctx.db
    .query("threads")
    .withIndex("actor_threadId", (q) => q.eq("actor", conv.actor).eq("threadId", threadId))
    .unique();
  if (existing !== null) {
    if (existing.conversationId !== conv._id) {
      fail("E_INGEST_THREAD_CONVERSATION_MISMATCH", "this thread belongs to another conversation", { threadId });
    }
    return existing;
  }
  const id = await ctx.db.insert("threads", {
    actor: conv.actor, threadId, conversationId: conv._id, status: "active", turnCount: 0, messageCount: 0,
    createdAt: at, updatedAt: at,
  });
  return (await ctx.db.get("threads", id))!;
}

/** Forks (and sub-agents) of a thread linked when the thread itself arrives after them (per metadata event). */
const MAX_FORKS_LINKED = 64;

function checkThreadMeta(e: Ev<"threadMeta">) {
  if (e.name !== undefined && e.name.length > TITLE_MAX_CHARS) {
    fail("E_INGEST_THREAD_META_TOO_LARGE", `a thread's name holds at most ${TITLE_MAX_CHARS} characters: clip it`, { threadId: e.threadId, chars: e.name.length });
  }
  for (const field of ["cwd", "model", "forkedFromId", "parentThreadId"] as const) {
    const value = e[field];
    if (value !== undefined && value.length > THREAD_FIELD_MAX_CHARS) {
      fail("E_INGEST_THREAD_META_TOO_LARGE", `a thread's ${field} holds at most ${THREAD_FIELD_MAX_CHARS} characters: clip it`, { threadId: e.threadId, field, chars: value.length });
    }
  }
}

async function threadMeta(ctx: MutationCtx, conv: Conv, e: Ev<"threadMeta">) {
  checkThreadMeta(e);
  const t = await ensureThread(ctx, conv, e.threadId, e.at);
  // The thread's name is the conversation's title, unless someone gave the conversation another one.
  if (e.name !== undefined && e.name !== "" && (conv.title === undefined || conv.title === t.name)) {
    await ctx.db.patch("conversations", conv._id, { title: e.name });
  }
  await ctx.db.patch("threads", t._id, {
    ...(e.name !== undefined ? { name: e.name } : {}),
    ...(e.preview !== undefined ? { preview: cutText(e.preview, PREVIEW_MAX_CHARS) } : {}),
    ...(e.cwd !== undefined ? { cwd: e.cwd } : {}),
    ...(e.model !== undefined ? { model: e.model } : {}),
    ...(e.forkedFromId !== undefined ? { forkedFromId: e.forkedFromId } : {}),
    ...(e.parentThreadId !== undefined ? { parentThreadId: e.parentThreadId } : {}),
    updatedAt: Math.max(t.updatedAt, e.at),
  });
  // Codex's preview of the thread is its first user message: a conversation replicated before previews existed gets
  // its label when its host resumes it or it is synced again
  if (e.preview !== undefined) await givePreview(ctx, conv, e.threadId, e.preview);
  // A sub-agent links to the conversation of the thread that spawned it (which lists it: listConversationAgents), a
  // fork to its parent's (listConversationForks), when that is here; forks and sub-agents that arrived before this
  // thread (their parent: an import goes newest first) link to it now.
  await linkToParent(ctx, conv, e.parentThreadId, conv.parentConversationId, (id) => ({ parentConversationId: id }));
  await linkToParent(ctx, conv, e.forkedFromId, conv.forkedFromConversationId, (id) => ({ forkedFromConversationId: id }));
  const forks = await ctx.db.query("threads").withIndex("actor_forkedFromId", (q) => q.eq("actor", conv.actor).eq("forkedFromId", e.threadId)).take(MAX_FORKS_LINKED);
  await linkChildren(ctx, conv, forks, (c) => c.forkedFromConversationId, (id) => ({ forkedFromConversationId: id }));
  const agents = await ctx.db.query("threads").withIndex("actor_parentThreadId", (q) => q.eq("actor", conv.actor).eq("parentThreadId", e.threadId)).take(MAX_FORKS_LINKED);
  await linkChildren(ctx, conv, agents, (c) => c.parentConversationId, (id) => ({ parentConversationId: id }));
}

type ConvId = Conv["_id"];
type Link = (id: ConvId) => Partial<Conv>;

/** Link `conv` to the conversation of `parentThreadId` (through `link`) unless it is linked already. */
async function linkToParent(ctx: MutationCtx, conv: Conv, parentThreadId: string | undefined, linked: ConvId | undefined, link: Link) {
  if (parentThreadId === undefined || linked !== undefined) return;
  const parent = await ctx.db.query("threads").withIndex("actor_threadId", (q) => q.eq("actor", conv.actor).eq("threadId", parentThreadId)).unique();
  if (parent !== null && parent.conversationId !== conv._id) await ctx.db.patch("conversations", conv._id, link(parent.conversationId));
}

/** Link the conversations of `children` (threads naming this one as their parent) to `conv`, those not linked yet. */
async function linkChildren(ctx: MutationCtx, conv: Conv, children: Doc<"threads">[], linked: (c: Conv) => ConvId | undefined, link: Link) {
  for (const child of children) {
    const cc = child.conversationId === conv._id ? null : await ctx.db.get("conversations", child.conversationId);
    if (cc !== null && linked(cc) === undefined) await ctx.db.patch("conversations", cc._id, link(conv._id));
  }
}

/** One part of the thread's own JSON; the first part of a new version restarts it (its parts replace the old ones). */
async function threadJson(ctx: MutationCtx, conv: Conv, e: Ev<"threadJson">) {
  if (!Number.isInteger(e.part) || !Number.isInteger(e.partCount) || e.partCount < 1 || e.part < 0 || e.part >= e.partCount) {
    fail("E_INGEST_BAD_PART", "part must be an integer in [0, partCount)", { part: e.part, partCount: e.partCount });
  }
  if (e.partCount > MAX_THREAD_JSON_PARTS) fail("E_INGEST_THREAD_JSON_TOO_LARGE", `a thread's JSON holds at most ${MAX_THREAD_JSON_PARTS} parts`, { partCount: e.partCount });
  if (e.data.length > PART_MAX_CHARS) fail("E_INGEST_PART_TOO_LARGE", `a part holds at most ${PART_MAX_CHARS} characters: split it`, { chars: e.data.length });
  if (!SHA256_HEX.test(e.sha256)) fail("E_INGEST_BAD_HASH", "sha256 must be 64 lowercase hex characters");
  const t = await ensureThread(ctx, conv, e.threadId, e.at);
  let received = t.jsonPartsReceived ?? 0;
  if (e.part === 0) received = 0;
  else if (e.partCount !== t.jsonPartCount || e.part !== received) {
    fail("E_INGEST_BAD_PART", "a thread's JSON parts come in order, one version at a time", { part: e.part, expected: received });
  }
  const key = (q: any) => q.eq("actor", conv.actor).eq("threadId", e.threadId);
  const existing = await ctx.db.query("thread_parts").withIndex("actor_threadId_part", (q) => key(q).eq("part", e.part)).unique();
  if (existing === null) await ctx.db.insert("thread_parts", { actor: conv.actor, threadId: e.threadId, part: e.part, data: e.data });
  else if (existing.data !== e.data) await ctx.db.patch("thread_parts", existing._id, { data: e.data });
  received += 1;
  await ctx.db.patch("threads", t._id, { jsonPartCount: e.partCount, jsonPartsReceived: received, ...(received === 1 ? { jsonSha256: undefined } : {}) });
  if (received < e.partCount) return;
  const parts = await ctx.db.query("thread_parts").withIndex("actor_threadId_part", key).take(MAX_THREAD_JSON_PARTS + 1);
  const whole = parts.filter((p) => p.part < e.partCount);
  for (const p of parts.filter((p) => p.part >= e.partCount)) await ctx.db.delete("thread_parts", p._id); // a longer old version's tail
  const actual = sha256Hex(whole.map((p) => p.data).join(""));
  if (actual !== e.sha256) fail("E_INGEST_HASH_MISMATCH", "the thread's JSON parts do not match their sha256", { expected: e.sha256, actual });
  await ctx.db.patch("threads", t._id, { jsonSha256: actual });
}

function checkTurnError(error: NonNullable<Ev<"turnCompleted">["error"]>, turnId: string) {
  for (const [field, text] of Object.entries(error)) {
    if (typeof text === "string" && text.length > TURN_ERROR_MAX_CHARS) {
      fail("E_INGEST_TURN_ERROR_TOO_LARGE", `each field of a turn's error holds at most ${TURN_ERROR_MAX_CHARS} characters: clip it`, { turnId, field, chars: text.length });
    }
  }
}

function checkTurnJson(json: string, turnId: string): string {
  if (json.length > TURN_JSON_MAX_CHARS) fail("E_INGEST_TURN_JSON_TOO_LARGE", `a turn's own JSON holds at most ${TURN_JSON_MAX_CHARS} characters`, { turnId, chars: json.length });
  return json;
}

/**
 * A turn's digest joins the thread's chain when it comes next (ordinal = syncedTurns): prefixHash becomes
 * sha256(prefixHash + digest). A changed turn inside the chain cuts it back to that turn.
 */
async function chainTurn(ctx: MutationCtx, conv: Conv, turn: Doc<"turns">, digest: string | undefined) {
  const t = await ensureThread(ctx, conv, turn.threadId, turn.startedAt);
  let synced = t.syncedTurns ?? 0;
  let prefix = t.prefixHash ?? "";
  if (turn.ordinal < synced) {
    if (digest !== undefined && digest === turn.digest) return;
    synced = turn.ordinal; // the chain ends before this turn: it changed
    prefix = turn.ordinal === 0 ? "" : ((await turnAt(ctx, conv.actor, turn.threadId, turn.ordinal - 1))?.chain ?? "");
  }
  if (digest !== undefined && !SHA256_HEX.test(digest)) fail("E_INGEST_BAD_HASH", "digest must be 64 lowercase hex characters", { turnId: turn.turnId });
  if (digest !== undefined && turn.ordinal === synced) {
    const chain = sha256Hex(prefix + digest);
    await ctx.db.patch("turns", turn._id, { digest, chain });
    await ctx.db.patch("threads", t._id, { syncedTurns: synced + 1, prefixHash: chain });
    return;
  }
  await ctx.db.patch("turns", turn._id, { digest, chain: undefined });
  if (synced !== (t.syncedTurns ?? 0)) await ctx.db.patch("threads", t._id, { syncedTurns: synced, prefixHash: prefix });
}

export async function turnAt(ctx: QueryCtx, actor: string, threadId: string, ordinal: number) {
  return await ctx.db.query("turns").withIndex("actor_threadId_ordinal", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("ordinal", ordinal)).unique();
}

async function findTurn(ctx: MutationCtx, actor: string, threadId: string, turnId: string) {
  return await ctx.db
    .query("turns")
    .withIndex("actor_threadId_turnId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId))
    .unique();
}

export async function ensureTurn(ctx: MutationCtx, conv: Conv, threadId: string, turnId: string, at: number): Promise<Doc<"turns">> {
  const existing = await findTurn(ctx, conv.actor, threadId, turnId);
  if (existing !== null) return existing;
  const thread = await ensureThread(ctx, conv, threadId, at);
  const id = await ctx.db.insert("turns", {
    actor: conv.actor, conversationId: conv._id, threadId, turnId, ordinal: thread.turnCount, status: "inProgress",
    startedAt: at, itemCount: 0,
  });
  await ctx.db.patch("threads", thread._id, { turnCount: thread.turnCount + 1, updatedAt: Math.max(thread.updatedAt, at) });
  return (await ctx.db.get("turns", id))!;
}

/** End a turn (from a turnCompleted event, or the presence sweep): its open messages and pending requests close too. */
export async function turnCompleted(ctx: MutationCtx, conv: Conv, e: Ev<"turnCompleted">) {
  if (e.error !== undefined) checkTurnError(e.error, e.turnId);
  const turn = await ensureTurn(ctx, conv, e.threadId, e.turnId, e.at);
  // The turn's own JSON as it ended; none (a host that could not send it, a lost host's turn ended by the sweep) drops
  // the one from its start, which would say it is still in progress: readers then rebuild it from the row.
  await ctx.db.patch("turns", turn._id, { status: e.status, completedAt: e.at, ...(e.error ? { error: e.error } : {}), json: e.json === undefined ? undefined : checkTurnJson(e.json, e.turnId) });
  await chainTurn(ctx, conv, turn, e.digest);
  // Every stream ends in a terminal state (convex-durable-agents#8): close what the turn left open.
  const terminal = e.status === "completed" ? "interrupted" : e.status === "inProgress" ? null : e.status;
  if (terminal !== null) {
    const open = await ctx.db
      .query("messages")
      .withIndex("actor_threadId_turnId_itemId", (q) => q.eq("actor", conv.actor).eq("threadId", e.threadId).eq("turnId", e.turnId))
      .take(turn.itemCount + 1);
    for (const m of open) if (m.status === "streaming") await ctx.db.patch("messages", m._id, { status: terminal, ...(await settleStreamingRow(ctx, m)), updatedAt: e.at });
  }
  if (e.keepItems !== undefined) {
    await keepOnly(ctx, conv, turn, new Set(e.keepItems));
    await matchCodexItems(ctx, conv, turn, e.keepItems);
  }
  if (e.codexItems !== undefined) await matchCodexItems(ctx, conv, turn, e.codexItems);
  // The turn's own pending requests (Codex waits on each one, so a turn holds a handful at most).
  const pending = await ctx.db
    .query("server_requests")
    .withIndex("actor_threadId_turnId_status", (q) => q.eq("actor", conv.actor).eq("threadId", e.threadId).eq("turnId", e.turnId).eq("status", "pending"))
    .take(1024);
  for (const r of pending) await ctx.db.patch("server_requests", r._id, { status: "expired", answeredAt: e.at });
}

/**
 * A live turn's end, against the items Codex kept (its thread/read, in its order): the others, seen live only, are
 * marked `liveOnly` (and the kept ones not); the kept ones take the places kept items hold, in Codex's order, for an
 * item can end before one that began earlier and Codex lists items as they end (plan mode's plan ends inside the
 * answer that began first). Bounded by the turn's items.
 */
async function matchCodexItems(ctx: MutationCtx, conv: Conv, turn: Doc<"turns">, codexItems: string[]) {
  const rank = new Map(codexItems.map((id, i) => [id, i]));
  const items = await ctx.db
    .query("items")
    .withIndex("actor_threadId_turnId_ordinal", (q) => q.eq("actor", conv.actor).eq("threadId", turn.threadId).eq("turnId", turn.turnId))
    .take(turn.itemCount + 1);
  const kept = items.filter((it) => rank.has(it.itemId));
  const places = kept.map((it) => it.ordinal); // ascending, as the index reads them
  const ordinalOf = new Map(kept.sort((a, b) => rank.get(a.itemId)! - rank.get(b.itemId)!).map((it, k) => [it._id, places[k]]));
  for (const it of items) {
    const liveOnly = !rank.has(it.itemId);
    const ordinal = ordinalOf.get(it._id) ?? it.ordinal;
    if ((it.liveOnly ?? false) !== liveOnly || ordinal !== it.ordinal) {
      await ctx.db.patch("items", it._id, { liveOnly: liveOnly || undefined, ordinal });
    }
    if (ordinal !== it.ordinal) {
      const msg = await findMessage(ctx, conv.actor, it.threadId, it.turnId, it.itemId);
      if (msg !== null) await ctx.db.patch("messages", msg._id, { itemOrdinal: ordinal });
    }
  }
}

/** Remove the turn's items not in `keep` (with their parts, message and text segments), within fixed bounds. */
async function keepOnly(ctx: MutationCtx, conv: Conv, turn: Doc<"turns">, keep: Set<string>) {
  const items = await ctx.db
    .query("items")
    .withIndex("actor_threadId_turnId_itemId", (q) => q.eq("actor", conv.actor).eq("threadId", turn.threadId).eq("turnId", turn.turnId))
    .take(turn.itemCount + 1);
  const gone = items.filter((it) => !keep.has(it.itemId));
  if (gone.length > MAX_RECONCILE_REMOVALS) {
    fail("E_INGEST_RECONCILE_TOO_LARGE", `a reconcile removes at most ${MAX_RECONCILE_REMOVALS} items of a turn`, { items: gone.length });
  }
  for (const it of gone) {
    const where = (q: any) => q.eq("actor", conv.actor).eq("threadId", it.threadId).eq("turnId", it.turnId).eq("itemId", it.itemId);
    const parts = await ctx.db.query("item_parts").withIndex("actor_threadId_turnId_itemId_part", where).take(MAX_RECONCILE_ITEM_ROWS + 1);
    const msg = await findMessage(ctx, conv.actor, it.threadId, it.turnId, it.itemId);
    const segments = msg === null ? [] : await ctx.db.query("message_segments").withIndex("actor_threadId_turnId_itemId_segment", where).take(MAX_RECONCILE_ITEM_ROWS + 1);
    if (parts.length > MAX_RECONCILE_ITEM_ROWS || segments.length > MAX_RECONCILE_ITEM_ROWS) {
      fail("E_INGEST_RECONCILE_TOO_LARGE", `item ${it.itemId} is too large to remove in a reconcile`, { itemId: it.itemId });
    }
    for (const p of parts) await ctx.db.delete("item_parts", p._id);
    for (const s of segments) await ctx.db.delete("message_segments", s._id);
    if (msg !== null) {
      await ctx.db.delete("messages", msg._id);
      const thread = await ensureThread(ctx, conv, it.threadId, turn.startedAt);
      await ctx.db.patch("threads", thread._id, { messageCount: Math.max(0, thread.messageCount - 1) });
    }
    await ctx.db.delete("items", it._id);
  }
}

async function itemPart(ctx: MutationCtx, conv: Conv, e: Ev<"item">) {
  if (e.partCount < 1 || e.part < 0 || e.part >= e.partCount || !Number.isInteger(e.part) || !Number.isInteger(e.partCount)) {
    fail("E_INGEST_BAD_PART", "part must be an integer in [0, partCount)", { part: e.part, partCount: e.partCount });
  }
  if (e.data.length > PART_MAX_CHARS) {
    fail("E_INGEST_PART_TOO_LARGE", `an item part holds at most ${PART_MAX_CHARS} characters: split it`, { chars: e.data.length });
  }
  const turn = await ensureTurn(ctx, conv, e.threadId, e.turnId, e.at);
  const key = (q: any) => q.eq("actor", conv.actor).eq("threadId", e.threadId).eq("turnId", e.turnId).eq("itemId", e.itemId);
  let item = await findItem(ctx, conv.actor, e.threadId, e.turnId, e.itemId);
  if (item === null) {
    const id = await ctx.db.insert("items", {
      actor: conv.actor, conversationId: conv._id, threadId: e.threadId, turnId: e.turnId, itemId: e.itemId,
      ordinal: turn.itemCount, itemType: e.itemType, partCount: e.partCount, partsReceived: 0, bytes: 0, updatedAt: e.at,
    });
    await ctx.db.patch("turns", turn._id, { itemCount: turn.itemCount + 1 });
    item = (await ctx.db.get("items", id))!;
  } else if (e.part === 0) {
    // A new version of the item (started → completed): its parts replace the old ones.
    await ctx.db.patch("items", item._id, { itemType: e.itemType, partCount: e.partCount, partsReceived: 0, bytes: 0, updatedAt: e.at });
    item = { ...item, itemType: e.itemType, partCount: e.partCount, partsReceived: 0, bytes: 0 };
  } else if (e.partCount !== item.partCount) {
    fail("E_INGEST_BAD_PART", "partCount changed between parts of one item version", { itemId: e.itemId });
  }
  const existingPart = await ctx.db
    .query("item_parts")
    .withIndex("actor_threadId_turnId_itemId_part", (q) => key(q).eq("part", e.part))
    .unique();
  if (existingPart === null) {
    await ctx.db.insert("item_parts", { actor: conv.actor, threadId: e.threadId, turnId: e.turnId, itemId: e.itemId, part: e.part, data: e.data });
  } else {
    await ctx.db.patch("item_parts", existingPart._id, { data: e.data });
  }
  const received = item.partsReceived + 1;
  await ctx.db.patch("items", item._id, { partsReceived: received, bytes: item.bytes + utf8Bytes(e.data), updatedAt: e.at });
  if (received < item.partCount) return;
  // Whole: drop parts left over from a longer previous version, then derive the message.
  const stale = await ctx.db
    .query("item_parts")
    .withIndex("actor_threadId_turnId_itemId_part", (q) => key(q).gte("part", item!.partCount))
    .take(1024);
  for (const p of stale) await ctx.db.delete("item_parts", p._id);
  if (e.view !== undefined) {
    // A large item: the host's view of it (its text follows as messageText events); its parts are never joined.
    if (e.view?.itemStatus !== undefined) await ctx.db.patch("items", item._id, { status: e.view.itemStatus });
    if (e.view !== null) await upsertViewedMessage(ctx, conv, turn, item, e.view, e.at);
    return;
  }
  if (item.partCount > INLINE_VIEW_PARTS) {
    fail("E_INGEST_ITEM_VIEW_REQUIRED", `an item of more than ${INLINE_VIEW_PARTS} parts carries its view on its last part (the server does not join large items)`, { itemId: e.itemId, partCount: item.partCount });
  }
  let json = e.data;
  if (item.partCount > 1) {
    const parts = await ctx.db
      .query("item_parts")
      .withIndex("actor_threadId_turnId_itemId_part", (q) => key(q).lt("part", item!.partCount))
      .take(item.partCount);
    json = parts.map((p) => p.data).join("");
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json);
  } catch {
    fail("E_INGEST_BAD_ITEM_JSON", "the item's parts do not join into JSON", { itemId: e.itemId });
  }
  if (typeof parsed.status === "string") await ctx.db.patch("items", item._id, { status: parsed.status });
  await upsertMessage(ctx, conv, turn, item, parsed, e.phase, e.at);
}

async function findItem(ctx: MutationCtx, actor: string, threadId: string, turnId: string, itemId: string) {
  return await ctx.db
    .query("items")
    .withIndex("actor_threadId_turnId_itemId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("itemId", itemId))
    .unique();
}

async function findMessage(ctx: MutationCtx, actor: string, threadId: string, turnId: string, itemId: string) {
  return await ctx.db
    .query("messages")
    .withIndex("actor_threadId_turnId_itemId", (q) => q.eq("actor", actor).eq("threadId", threadId).eq("turnId", turnId).eq("itemId", itemId))
    .unique();
}

async function upsertMessage(ctx: MutationCtx, conv: Conv, turn: Doc<"turns">, item: Doc<"items">, parsed: Record<string, unknown>, phase: "started" | "updated" | "completed", at: number) {
  const view = messageView(parsed, phase);
  if (view === null) return;
  const msg = (await findMessage(ctx, conv.actor, item.threadId, item.turnId, item.itemId)) ?? (await createMessage(ctx, conv, turn, item, view.role, view.status, view.summary, at));
  // The item's own text is authoritative once it has any (completed items carry the whole text): it replaces
  // what deltas built, so a lost or doubled delta can never survive into the stored message (agent#146).
  const replaceText = view.text.length > 0 || phase === "completed";
  // a message that ends its streaming without new text: its row's counts brought up to date (writeText does that)
  const settled = !replaceText && msg.status === "streaming" && view.status !== "streaming" ? await settleStreamingRow(ctx, msg) : {};
  if (replaceText) await writeText(ctx, msg, view.text);
  if (view.role === "user") await givePreview(ctx, conv, item.threadId, view.text);
  await ctx.db.patch("messages", msg._id, { role: view.role, status: view.status, summary: view.summary, kind: item.itemType, updatedAt: at, ...settled });
}

/** The conversation's first user message (of its own thread) as its label (what lists show while it has no title),
 * once: the row is read again, as an earlier event of the same batch may have given it already. */
async function givePreview(ctx: MutationCtx, conv: Conv, threadId: string, text: string) {
  if (conv.preview !== undefined || threadId !== conv.threadId) return;
  const now = await ctx.db.get("conversations", conv._id);
  const folded = cutText(cutText(text, 2 * TITLE_MAX_CHARS).replace(/\s+/g, " ").trim(), TITLE_MAX_CHARS);
  if (now !== null && now.preview === undefined && folded !== "") await ctx.db.patch("conversations", conv._id, { preview: folded });
}

async function createMessage(ctx: MutationCtx, conv: Conv, turn: Doc<"turns">, item: Doc<"items">, role: Doc<"messages">["role"], status: Doc<"messages">["status"], summary: string | undefined, at: number) {
  const id = await ctx.db.insert("messages", {
    actor: conv.actor, conversationId: conv._id, threadId: item.threadId, turnId: item.turnId, itemId: item.itemId,
    turnOrdinal: turn.ordinal, itemOrdinal: item.ordinal, role, kind: item.itemType, status,
    segmentCount: 0, textBytes: 0, deltaCount: 0, summary, createdAt: at, updatedAt: at,
  });
  const thread = await ensureThread(ctx, conv, item.threadId, at);
  await ctx.db.patch("threads", thread._id, { messageCount: thread.messageCount + 1, updatedAt: Math.max(thread.updatedAt, at) });
  return (await ctx.db.get("messages", id))!;
}

/** A large item's message from the host's view: its row now, its text segment by segment (messageText). */
async function upsertViewedMessage(ctx: MutationCtx, conv: Conv, turn: Doc<"turns">, item: Doc<"items">, view: NonNullable<Ev<"item">["view"]>, at: number) {
  if (!Number.isInteger(view.segmentCount) || view.segmentCount < 0 || view.textBytes < 0) {
    fail("E_INGEST_BAD_VIEW", "segmentCount and textBytes must be integers ≥ 0", { itemId: item.itemId });
  }
  if (view.summary !== undefined && view.summary.length > MESSAGE_SUMMARY_MAX_CHARS) {
    fail("E_INGEST_BAD_VIEW", `a view's summary holds at most ${MESSAGE_SUMMARY_MAX_CHARS} characters: cut it`, { itemId: item.itemId, chars: view.summary.length });
  }
  const msg = (await findMessage(ctx, conv.actor, item.threadId, item.turnId, item.itemId)) ?? (await createMessage(ctx, conv, turn, item, view.role, view.status, view.summary, at));
  const deltaCount = msg.status === "streaming" && view.status !== "streaming" ? (await settleStreamingRow(ctx, msg)).deltaCount : msg.deltaCount;
  await ctx.db.patch("messages", msg._id, { role: view.role, status: view.status, summary: view.summary, kind: item.itemType, segmentCount: view.segmentCount, textBytes: view.textBytes, deltaCount, updatedAt: at });
}

async function messageText(ctx: MutationCtx, conv: Conv, e: Ev<"messageText">) {
  if (e.text.length > SEGMENT_MAX_CHARS) {
    fail("E_INGEST_TEXT_TOO_LARGE", `a messageText event holds at most ${SEGMENT_MAX_CHARS} characters`, { chars: e.text.length });
  }
  const m = await findMessage(ctx, conv.actor, e.threadId, e.turnId, e.itemId);
  if (m === null) fail("E_INGEST_NO_MESSAGE", "messageText comes after its item's view", { itemId: e.itemId });
  if (!Number.isInteger(e.segment) || e.segment < 0 || e.segment >= m.segmentCount) {
    fail("E_INGEST_BAD_SEGMENT", "segment must be an integer in [0, segmentCount) of the item's view", { segment: e.segment, segmentCount: m.segmentCount });
  }
  const seg = await ctx.db
    .query("message_segments")
    .withIndex("actor_threadId_turnId_itemId_segment", (q) => q.eq("actor", m.actor).eq("threadId", m.threadId).eq("turnId", m.turnId).eq("itemId", m.itemId).eq("segment", e.segment))
    .first();
  if (seg === null) {
    await ctx.db.insert("message_segments", { actor: m.actor, threadId: m.threadId, turnId: m.turnId, itemId: m.itemId, segment: e.segment, firstDelta: m.deltaCount, deltaCount: 0, text: e.text });
  } else if (seg.text !== e.text) await ctx.db.patch("message_segments", seg._id, { text: e.text });
  // a large first user message: its text comes in segments (the first one is plenty for a label)
  if (e.segment === 0 && m.role === "user") await givePreview(ctx, conv, e.threadId, e.text);
}

async function segmentsOf(ctx: MutationCtx, m: Doc<"messages">) {
  return await ctx.db
    .query("message_segments")
    .withIndex("actor_threadId_turnId_itemId_segment", (q) => q.eq("actor", m.actor).eq("threadId", m.threadId).eq("turnId", m.turnId).eq("itemId", m.itemId))
    .take(m.segmentCount + 1);
}

/** A message's text replaced whole. */
async function writeText(ctx: MutationCtx, m: Doc<"messages">, text: string) {
  const pieces = text.length === 0 ? [] : splitText(text, SEGMENT_MAX_CHARS);
  const existing = await segmentsOf(ctx, m);
  // the deltas applied so far stay counted (a streaming message goes on from them): on its row, and on its new last
  // segment, with the bytes before it
  const applied = deltasApplied(m, m.segmentCount > 0 ? existing[m.segmentCount - 1] ?? null : null);
  const closedBytes = pieces.slice(0, -1).reduce((n, p) => n + utf8Bytes(p), 0);
  for (let i = 0; i < Math.max(pieces.length, existing.length); i++) {
    const seg = existing[i];
    const tail = i === pieces.length - 1 ? { firstDelta: applied, deltaCount: 0, closedBytes } : {};
    if (i >= pieces.length) await ctx.db.delete("message_segments", seg._id);
    else if (seg === undefined) {
      await ctx.db.insert("message_segments", { actor: m.actor, threadId: m.threadId, turnId: m.turnId, itemId: m.itemId, segment: i, firstDelta: applied, deltaCount: 0, text: pieces[i], ...tail });
    } else if (seg.text !== pieces[i] || (i === pieces.length - 1 && (seg.firstDelta + seg.deltaCount !== applied || seg.closedBytes !== closedBytes))) {
      await ctx.db.patch("message_segments", seg._id, { text: pieces[i], ...tail });
    }
  }
  await ctx.db.patch("messages", m._id, { segmentCount: pieces.length, textBytes: utf8Bytes(text), deltaCount: applied });
}

async function messageDelta(ctx: MutationCtx, conv: Conv, e: Ev<"messageDelta">) {
  if (!Number.isInteger(e.firstDelta) || !Number.isInteger(e.deltaCount) || e.firstDelta < 0 || e.deltaCount < 1) {
    fail("E_INGEST_BAD_DELTA", "firstDelta must be an integer ≥ 0 and deltaCount ≥ 1", { firstDelta: e.firstDelta, deltaCount: e.deltaCount });
  }
  let msg = await findMessage(ctx, conv.actor, e.threadId, e.turnId, e.itemId);
  if (msg === null) {
    // An item that is not shown as a message (its content comes whole when it completes): nothing to stream into,
    // and it must not be turned into an agent message.
    if ((await findItem(ctx, conv.actor, e.threadId, e.turnId, e.itemId)) !== null) return;
    // The item/started event normally creates it; a delta alone still makes a streaming assistant message.
    const data = JSON.stringify({ type: "agentMessage", id: e.itemId, text: "" });
    await itemPart(ctx, conv, { type: "item", threadId: e.threadId, turnId: e.turnId, itemId: e.itemId, phase: "started", itemType: "agentMessage", part: 0, partCount: 1, data, at: e.at });
    msg = (await findMessage(ctx, conv.actor, e.threadId, e.turnId, e.itemId))!;
  }
  if (msg.status !== "streaming") return; // the final text already replaced the deltas
  const m = msg;
  const last = await lastSegment(ctx, m);
  const applied = deltasApplied(m, last);
  if (e.firstDelta + e.deltaCount <= applied) return; // already applied (a re-sent batch)
  if (e.firstDelta !== applied) {
    fail("E_INGEST_DELTA_GAP", "deltas must continue where the message stands", { expected: applied, got: e.firstDelta });
  }
  // Only the message's segments are written while it streams (its row when a segment fills, 16 Ki characters): a
  // reader of the row (a conversation view, a list) does not re-run at every delta; listStreamingMessages does.
  const after = applied + e.deltaCount;
  let rest = e.text;
  let closed = last === null ? 0 : bytesBefore(m, last); // bytes of the segments before the one written next
  if (last !== null && (last.text.length < SEGMENT_MAX_CHARS || rest.length === 0)) {
    const head = cutText(rest, SEGMENT_MAX_CHARS - last.text.length); // "" when only half a pair would fit
    await ctx.db.patch("message_segments", last._id, { text: last.text + head, deltaCount: after - last.firstDelta, closedBytes: closed });
    rest = rest.slice(head.length);
  }
  const pieces = rest.length > 0 ? splitText(rest, SEGMENT_MAX_CHARS) : [];
  if (pieces.length === 0 && last !== null) return;
  if (last !== null) closed += utf8Bytes(last.text) + utf8Bytes(e.text) - utf8Bytes(rest);
  let segmentCount = m.segmentCount;
  for (const piece of pieces) {
    await ctx.db.insert("message_segments", { actor: m.actor, threadId: m.threadId, turnId: m.turnId, itemId: m.itemId, segment: segmentCount, firstDelta: e.firstDelta, deltaCount: e.deltaCount, text: piece, closedBytes: closed });
    closed += utf8Bytes(piece);
    segmentCount += 1;
  }
  await ctx.db.patch("messages", m._id, { deltaCount: after, segmentCount, textBytes: closed, updatedAt: e.at });
}

async function lastSegment(ctx: MutationCtx, m: Doc<"messages">) {
  return m.segmentCount === 0 ? null : await ctx.db
    .query("message_segments")
    .withIndex("actor_threadId_turnId_itemId_segment", (q) => q.eq("actor", m.actor).eq("threadId", m.threadId).eq("turnId", m.turnId).eq("itemId", m.itemId).eq("segment", m.segmentCount - 1))
    .unique();
}

/** A streaming message's deltas applied: a segment's firstDelta + deltaCount is the count when it was last written, so
 * the last segment's is the message's (the row's counts it as of its last write, when a segment filled). */
function deltasApplied(m: Doc<"messages">, last: Doc<"message_segments"> | null): number {
  return last === null ? m.deltaCount : Math.max(m.deltaCount, last.firstDelta + last.deltaCount);
}

/** A streaming message's row brought up to date (deltas, bytes) as it ends: while it streamed, its row was written only
 * when a segment filled. */
export async function settleStreamingRow(ctx: MutationCtx, m: Doc<"messages">): Promise<{ deltaCount: number; textBytes: number }> {
  const last = await lastSegment(ctx, m);
  return { deltaCount: deltasApplied(m, last), textBytes: last === null ? m.textBytes : streamedBytes(m, last) };
}

async function serverRequest(ctx: MutationCtx, conv: Conv, e: Ev<"serverRequest">) {
  const existing = await ctx.db
    .query("server_requests")
    .withIndex("actor_threadId_turnId_requestId", (q) => q.eq("actor", conv.actor).eq("threadId", e.threadId).eq("turnId", e.turnId).eq("requestId", e.requestId))
    .unique();
  if (existing !== null) return;
  if (e.paramsJson.length > SERVER_REQUEST_PARAMS_MAX_CHARS) {
    fail("E_INGEST_REQUEST_TOO_LARGE", `a server request's params hold at most ${SERVER_REQUEST_PARAMS_MAX_CHARS} characters: cut its long strings`, { requestId: e.requestId, chars: e.paramsJson.length });
  }
  await ensureTurn(ctx, conv, e.threadId, e.turnId, e.at);
  await ctx.db.insert("server_requests", {
    actor: conv.actor, conversationId: conv._id, threadId: e.threadId, turnId: e.turnId, itemId: e.itemId,
    requestId: e.requestId, method: e.method, paramsJson: e.paramsJson, ...(e.paramsClipped === true ? { paramsClipped: true } : {}),
    status: "pending", createdAt: e.at,
  });
}

async function serverRequestResolved(ctx: MutationCtx, conv: Conv, e: Ev<"serverRequestResolved">) {
  const r = await ctx.db
    .query("server_requests")
    .withIndex("actor_threadId_turnId_requestId", (q) => q.eq("actor", conv.actor).eq("threadId", e.threadId).eq("turnId", e.turnId).eq("requestId", e.requestId))
    .unique();
  if (r === null) return;
  await ctx.db.patch("server_requests", r._id, { status: "answered", answeredAt: r.answeredAt ?? e.at, forwardedAt: r.forwardedAt ?? e.at });
}

async function tokenUsage(ctx: MutationCtx, conv: Conv, e: Ev<"tokenUsage">) {
  const { type: _t, at, ...fields } = e;
  const existing = await ctx.db
    .query("token_usage")
    .withIndex("actor_threadId_turnId", (q) => q.eq("actor", conv.actor).eq("threadId", e.threadId).eq("turnId", e.turnId))
    .unique();
  if (existing === null) await ctx.db.insert("token_usage", { actor: conv.actor, conversationId: conv._id, ...fields, updatedAt: at });
  else await ctx.db.patch("token_usage", existing._id, { ...fields, updatedAt: at });
}

/** The turn's plan as the model last set it; an older update arriving late (a re-sent batch) does not replace it. */
async function turnPlan(ctx: MutationCtx, conv: Conv, e: Ev<"turnPlan">) {
  if (e.steps.length > PLAN_MAX_STEPS) fail("E_INGEST_PLAN_TOO_LARGE", `a plan holds at most ${PLAN_MAX_STEPS} steps: clip it`, { steps: e.steps.length });
  const long = e.steps.findIndex((s) => s.step.length > PLAN_STEP_MAX_CHARS);
  if (long >= 0) fail("E_INGEST_PLAN_TOO_LARGE", `a plan step holds at most ${PLAN_STEP_MAX_CHARS} characters: clip it`, { step: long, chars: e.steps[long].step.length });
  if (e.explanation !== null && e.explanation.length > PLAN_EXPLANATION_MAX_CHARS) {
    fail("E_INGEST_PLAN_TOO_LARGE", `a plan's explanation holds at most ${PLAN_EXPLANATION_MAX_CHARS} characters: clip it`, { chars: e.explanation.length });
  }
  const turn = await ensureTurn(ctx, conv, e.threadId, e.turnId, e.at);
  if (turn.plan !== undefined && turn.plan.updatedAt > e.at) return;
  await ctx.db.patch("turns", turn._id, { plan: { explanation: e.explanation, steps: e.steps, truncated: e.truncated, updatedAt: e.at } });
}
