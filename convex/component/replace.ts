/**
 * Replacing a thread's turns past a sync base, atomically for readers however many transactions it takes (#19).
 *
 * A replacing job marks the thread (`threads.replace`: its job, the base, `swapped`), then
 * 1. retires the turns past the base: every row of them is tagged `retiredBy` (bounded steps; readers still see them);
 * 2. ingests the new records with every row it writes tagged `stagedBy`, holding its changes to the thread's and the
 *    conversation's rows on the job (bufferedDb.ts `stage`); readers do not see staged rows;
 * 3. swaps, in the transaction of its last step: the held changes land and `swapped` turns true, so from that commit
 *    on readers see the staged rows and not the retired ones;
 * 4. cleans up in bounded steps that change nothing a reader sees: retired rows deleted, staged ones untagged, and
 *    the mark cleared. A job that stops before its swap (failed, cancelled) is cleaned up the other way: staged rows
 *    deleted, retired ones untagged — readers saw the old turns throughout.
 * Readers hide tagged rows in the index range itself (`hideTagged`), so a page or a `take(n)` is never short of
 * visible rows. While a thread is marked, live writes to it are refused (E_SYNC_REPLACING) and other sync jobs of it
 * wait: a thread has one replace at a time.
 */
import { v } from "convex/values";
import type { Doc, Id, TableNames } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import { internalMutation, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { plan } from "./deletionPlan.js";
import { takeBounded } from "./deletion.js";
import { heldTable } from "./bufferedDb.js";
import { fail } from "./errors.js";
import { findThread } from "./scope.js";

export type Marker = NonNullable<Doc<"threads">["replace"]>;
type Tagged = { stagedBy?: Id<"sync_jobs">; retiredBy?: Id<"sync_jobs"> };

/** How long a job waits before looking again while another job's replace of its thread is under way. */
export const REPLACE_WAIT_MS = 1_000;
/**
 * Rows, and bytes read, one retire or clean-up step may spend: each row is read once and written once, so 4,000 rows
 * stay within ½ of Convex's 16,000 documents written and 32,000 read per transaction, with room for the ingest a
 * retire's last step goes on with.
 */
export const REPLACE_STEP_ROWS = 4_000;
const REPLACE_STEP_BYTES = 4 * 1024 * 1024;

/** Whether a reader sees `row` while its thread carries `marker`. */
export function visible(row: Tagged, marker: Marker | null | undefined): boolean {
  if (marker === null || marker === undefined) return row.stagedBy === undefined;
  return marker.swapped ? row.retiredBy !== marker.jobId : row.stagedBy !== marker.jobId;
}

/** A reader's index range without the rows a replace in progress hides (the range unchanged when none is). */
export function hideTagged<Q>(query: Q, marker: Marker | null | undefined): Q {
  if (marker === null || marker === undefined) return query;
  const field = marker.swapped ? "retiredBy" : "stagedBy";
  return (query as any).filter((q: any) => q.neq(q.field(field), marker.jobId));
}

const isTagged = (r: Tagged) => r.stagedBy !== undefined || r.retiredBy !== undefined;

/**
 * A reader's rows as readers see them: `run(hide)` reads a range with `hide` applied to its query. Rows are tagged
 * only while a replace is under way, so the thread's mark is read (and the range read again, hidden rows filtered in
 * the range) only when the first answer holds a tagged row: the usual read costs nothing more and does not depend on
 * the thread's row.
 */
export async function readVisible<T extends Tagged>(ctx: QueryCtx, actor: string, threadId: string | undefined,
  run: (hide: <Q>(q: Q) => Q) => Promise<T[]>): Promise<T[]> {
  const rows = await run((q) => q);
  if (!rows.some(isTagged)) return rows;
  const m = await markerOf(ctx, actor, threadId);
  return await run((q) => hideTagged(q, m));
}

/** The one visible row of a range that holds at most one per version (a turn, item or message by its key), or null. */
export async function uniqueVisible<T extends Tagged>(ctx: QueryCtx, actor: string, threadId: string,
  run: (hide: <Q>(q: Q) => Q) => Promise<T[]>): Promise<T | null> {
  const rows = await readVisible(ctx, actor, threadId, run);
  if (rows.length > 1) throw new Error("uniqueVisible: more than one visible row");
  return rows[0] ?? null;
}

/**
 * A paginated range's filter (convex-helpers' stream `filterWith`, applied before the page is cut, so pages keep
 * their size): the thread's mark is read once, and only when a tagged row comes by.
 */
export function visibleFilter(ctx: QueryCtx, actor: string, threadId: string | undefined): (row: Tagged) => Promise<boolean> {
  let marker: Promise<Marker | null> | undefined;
  return async (row) => {
    if (!isTagged(row)) return true;
    marker ??= markerOf(ctx, actor, threadId);
    return visible(row, await marker);
  };
}

/** The replace mark of a thread, or null. */
export async function markerOf(ctx: QueryCtx, actor: string, threadId: string | undefined): Promise<Marker | null> {
  if (threadId === undefined) return null;
  return (await findThread(ctx, actor, threadId))?.replace ?? null;
}

/** :throws E_SYNC_REPLACING: a sync job is replacing turns of the thread (live writes wait for it). */
export async function refuseWhileReplacing(ctx: QueryCtx, actor: string, threadId: string | undefined): Promise<void> {
  const m = await markerOf(ctx, actor, threadId);
  if (m !== null) fail("E_SYNC_REPLACING", "a sync job is replacing this thread's turns: write again once it finished", { jobId: m.jobId });
}

const turnRanges = (threadId: string, turnId: string) =>
  plan({ kind: "turn", threadId, turnId }, null).flatMap((r) => ("table" in r ? [r] : []));

function rangeQuery(ctx: QueryCtx, actor: string, r: { table: string; index: string; eq: Array<[string, string]> }) {
  return (ctx.db.query(r.table as any) as any).withIndex(r.index, (q: any) => r.eq.reduce((acc: any, [f, val]) => acc.eq(f, val), q.eq("actor", actor)));
}

/** Turns one retire or clean-up step visits at most: each costs 8 index ranges (½ of Convex's 4,096); and the bytes
 * their rows may add up to (a turn row holds up to ~350 KB: its own JSON, error and plan at their bounds). */
const REPLACE_STEP_TURNS = 250;
const REPLACE_STEP_TURN_BYTES = 2 * 1024 * 1024;

/**
 * Walk the turns at ordinals ≥ the mark's cursor (else its base), in ordinal order, and apply `act` to the rows of
 * each (children before their turn) that `pick` selects, within one step's bounds. Returns the mark (as `act` left
 * it: it may count) when the walk reached the end; otherwise null, and the mark with its cursor is saved.
 */
async function walk(ctx: MutationCtx, t: Doc<"threads">, m: Marker, pick: (q: any) => any,
  act: (r: Doc<any>, table: TableNames) => Promise<void>): Promise<Marker | null> {
  let rows = REPLACE_STEP_ROWS;
  const bytes = { bytes: REPLACE_STEP_BYTES };
  const from = m.cursor ?? m.keepTurns;
  const listed = { bytes: REPLACE_STEP_TURN_BYTES };
  const turns: Array<Doc<"turns">> = await takeBounded(ctx.db.query("turns").withIndex("actor_threadId_ordinal", (q) => q.eq("actor", t.actor).eq("threadId", t.threadId).gte("ordinal", from)), REPLACE_STEP_TURNS, listed);
  for (const turn of turns) {
    for (const range of turnRanges(t.threadId, turn.turnId)) {
      const got: Array<Doc<any>> = await takeBounded(pick(rangeQuery(ctx, t.actor, range)), rows, bytes);
      for (const r of got) await act(r, range.table);
      rows -= got.length;
    }
    // out of budget: this turn's ordinal again next step (what it finished is no longer picked)
    if (rows <= 0 || bytes.bytes <= 0) return await saveCursor(ctx, t, m, turn.ordinal);
  }
  if (turns.length < REPLACE_STEP_TURNS && listed.bytes > 0) return m; // the walk reached the last turn
  // the last turn listed again next step (two versions may share its ordinal); a step lists ≥ 3 turns at their largest
  return await saveCursor(ctx, t, m, turns[turns.length - 1].ordinal);
}

async function saveCursor(ctx: MutationCtx, t: Doc<"threads">, m: Marker, cursor: number): Promise<null> {
  await ctx.db.patch("threads", t._id, { replace: { ...m, cursor, at: Date.now() } });
  return null;
}

/**
 * One bounded step of tagging the rows of the turns at ordinals ≥ the base `retiredBy` the job (children before
 * their turn), counting the messages retired. Returns the mark once all are, else null.
 */
export async function retireStep(ctx: MutationCtx, t: Doc<"threads">, m: Marker): Promise<Marker | null> {
  const untagged = (q: any) => q.filter((f: any) => f.eq(f.field("retiredBy"), undefined));
  const counted = { ...m };
  const done = await walk(ctx, t, counted, untagged, async (r, table) => {
    await ctx.db.patch(table, r._id, { retiredBy: m.jobId });
    if (table === "messages") counted.retiredMessages = (counted.retiredMessages ?? 0) + 1;
  });
  if (done === null) return null;
  const end = { ...done, cursor: undefined };
  await ctx.db.patch("threads", t._id, { replace: end });
  return end;
}

/** Start a replace: the thread is marked (before any row is tagged). */
export async function mark(ctx: MutationCtx, t: Doc<"threads">, jobId: Id<"sync_jobs">, keepTurns: number): Promise<Marker> {
  const m = { jobId, keepTurns, swapped: false, at: Date.now() };
  await ctx.db.patch("threads", t._id, { replace: m });
  return m;
}

/** Held changes (bufferedDb.ts): per document, the fields set and the fields removed. */
export type Held = Record<string, { set: Record<string, unknown>; unset: string[] }>;

/** The swap, in the transaction of the job's last step: the held changes land and staged rows show from now on. */
export async function swap(ctx: MutationCtx, job: Doc<"sync_jobs">, threadId: string): Promise<void> {
  const held: Held = job.held === undefined ? {} : JSON.parse(job.held);
  for (const [id, { set, unset }] of Object.entries(held)) {
    const changes: Record<string, unknown> = { ...set };
    for (const k of unset) changes[k] = undefined;
    const table = heldTable(ctx.db, id);
    if ((await ctx.db.get(table, id as never)) !== null) await ctx.db.patch(table, id as never, changes as never);
  }
  const t = await findThread(ctx, job.actor, threadId);
  if (t?.replace?.jobId !== job._id) return;
  await ctx.db.patch("threads", t._id, { replace: { ...t.replace, swapped: true, cursor: undefined, at: Date.now() } });
  await ctx.db.patch("sync_jobs", job._id, { held: undefined });
  await ctx.scheduler.runAfter(0, internal.replace.cleanUp, { threadRowId: t._id, jobId: job._id });
}

/** A job that stopped (failed, cancelled) while it held a replace: its staged rows go, its retired ones stay. */
export async function abandon(ctx: MutationCtx, job: Doc<"sync_jobs">): Promise<void> {
  if (job.replacing !== true) return;
  const source = await ctx.db.get("sync_sources", job.sourceId);
  if (source === null) return;
  const t = await findThread(ctx, job.actor, source.threadId);
  if (t?.replace?.jobId !== job._id) return;
  await ctx.db.patch("threads", t._id, { replace: { ...t.replace, cursor: undefined, at: Date.now() } });
  await ctx.scheduler.runAfter(0, internal.replace.cleanUp, { threadRowId: t._id, jobId: job._id });
}

/**
 * One bounded step of cleaning up after a swap (retired rows deleted, staged untagged) or after a job that stopped
 * short of it (the reverse). Readers see the same before and after each step. Returns true once the mark is cleared.
 */
export async function cleanUpStep(ctx: MutationCtx, t: Doc<"threads">, m: Marker): Promise<boolean> {
  const [drop, keep] = m.swapped ? (["retiredBy", "stagedBy"] as const) : (["stagedBy", "retiredBy"] as const);
  const tagged = (q: any) => q.filter((f: any) => f.or(f.eq(f.field(drop), m.jobId), f.eq(f.field(keep), m.jobId)));
  const settle = async (r: Doc<any>, table: TableNames) => {
    if (r[drop] === m.jobId) await ctx.db.delete(table, r._id);
    else await ctx.db.patch(table, r._id, { [keep]: undefined });
  };
  // The thread's own JSON parts (two versions of ≤ MAX_THREAD_JSON_PARTS at most), then the turns past the base.
  for (const r of await tagged(ctx.db.query("thread_parts").withIndex("actor_threadId_part", (q) => q.eq("actor", t.actor).eq("threadId", t.threadId))).take(64)) await settle(r, "thread_parts");
  if ((await walk(ctx, t, m, tagged, settle)) === null) return false;
  await ctx.db.patch("threads", t._id, { replace: undefined });
  return true;
}

/** A clean-up with no step for this long is taken to have stopped (its scheduled step lost): it is started again. */
export const CLEANUP_STALLED_MS = 60_000;

/**
 * Start the clean-up of a thread's replace again when its job is over and no clean-up step ran for
 * CLEANUP_STALLED_MS (called by whoever waits on the mark: a sync job of the thread, the presence sweep).
 */
export async function restartStalled(ctx: MutationCtx, t: Doc<"threads">): Promise<void> {
  const m = t.replace;
  if (m === undefined || Date.now() - (m.at ?? 0) < CLEANUP_STALLED_MS) return;
  const job = await ctx.db.get("sync_jobs", m.jobId);
  if (job !== null && !m.swapped && (job.state === "queued" || job.state === "running" || job.state === "retry_wait")) return;
  await ctx.db.patch("threads", t._id, { replace: { ...m, at: Date.now() } });
  await ctx.scheduler.runAfter(0, internal.replace.cleanUp, { threadRowId: t._id, jobId: m.jobId });
}

export const cleanUp = internalMutation({
  args: { threadRowId: v.id("threads"), jobId: v.id("sync_jobs") },
  returns: v.null(),
  handler: async (ctx, { threadRowId, jobId }) => {
    const t = await ctx.db.get("threads", threadRowId);
    if (t === null || t.replace?.jobId !== jobId) return null;
    if (!(await cleanUpStep(ctx, t, t.replace))) await ctx.scheduler.runAfter(0, internal.replace.cleanUp, { threadRowId, jobId });
    return null;
  },
});
