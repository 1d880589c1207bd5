/**
 * An incremental sync's base: the source keeps the thread's first `keepTurns` turns (their chain must still be
 * `prefixHash`, when given) and replaces everything after them. The job's first steps remove the turns past the
 * base (bounded batches, children first, as a turn deletion does), then ingest the records that follow it. The
 * step that removes the last of them goes on ingesting in the same transaction, so a replace that fits one step
 * (the usual rollback or rewritten last turn) is atomic for readers: the old turns until it commits, the new after.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { plan } from "./deletionPlan.js";
import { takeBounded } from "./deletion.js";
import { fail } from "./errors.js";
import { chainAt, findThread } from "./threadState.js";

export type Base = { keepTurns: number; prefixHash?: string };
/** Rows, and bytes read, one truncation step may spend (each deleted row is read twice). */
const TRUNCATE_ROWS = 500;
const TRUNCATE_BYTES = 4 * 1024 * 1024; // leaves the same step room to ingest (Convex reads ≤ 16 MiB per transaction)

/** :throws E_SYNC_BAD_BASE / E_SYNC_BASE_CHANGED: the base is malformed, or the thread no longer starts with it. */
export async function checkBase(ctx: QueryCtx, actor: string, threadId: string, base: Base): Promise<void> {
  if (!Number.isInteger(base.keepTurns) || base.keepTurns < 0) fail("E_SYNC_BAD_BASE", "keepTurns must be an integer ≥ 0", { keepTurns: base.keepTurns });
  if (base.prefixHash === undefined) return;
  const t = await findThread(ctx, actor, threadId);
  const held = t === null ? (base.keepTurns === 0 ? "" : null) : await chainAt(ctx, t, base.keepTurns);
  if (held !== base.prefixHash) {
    fail("E_SYNC_BASE_CHANGED", "the thread no longer starts with the turns this sync builds on: read its sync state again", { keepTurns: base.keepTurns });
  }
}

/**
 * One bounded step of removing the turns at ordinals ≥ keepTurns, last turn first. Returns true once none is left
 * (the thread's counts and chain then end at the base).
 */
export async function truncateStep(ctx: MutationCtx, actor: string, threadId: string, keepTurns: number): Promise<boolean> {
  const t = await findThread(ctx, actor, threadId);
  if (t === null) return true;
  let rows = TRUNCATE_ROWS;
  const bytes = { bytes: TRUNCATE_BYTES };
  let messages = 0;
  while (rows > 0 && bytes.bytes > 0) {
    const last = await ctx.db.query("turns").withIndex("actor_threadId_ordinal", (q) => q.eq("actor", actor).eq("threadId", threadId).gte("ordinal", keepTurns)).order("desc").first();
    if (last === null) {
      const kept = Math.min(t.syncedTurns ?? 0, keepTurns);
      await ctx.db.patch(t._id, {
        turnCount: Math.min(t.turnCount, keepTurns), messageCount: Math.max(0, t.messageCount - messages),
        syncedTurns: kept, prefixHash: (await chainAt(ctx, t, kept)) ?? "",
      });
      return true;
    }
    for (const range of plan({ kind: "turn", threadId, turnId: last.turnId }, null)) {
      if (!("table" in range)) continue;
      const got: Array<Doc<any>> = await takeBounded((ctx.db.query(range.table as any) as any)
        .withIndex(range.index, (q: any) => range.eq.reduce((acc: any, [f, val]) => acc.eq(f, val), q.eq("actor", actor))), rows, bytes);
      for (const r of got) await ctx.db.delete(r._id);
      if (range.table === "messages") messages += got.length;
      rows -= got.length;
      if (rows <= 0 || bytes.bytes <= 0) break;
    }
  }
  if (messages > 0) await ctx.db.patch(t._id, { messageCount: Math.max(0, t.messageCount - messages) });
  return false;
}
