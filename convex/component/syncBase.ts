/**
 * An incremental sync's base: the source keeps the thread's first `keepTurns` turns (their chain must still be
 * `prefixHash`, when given) and replaces everything after them — atomically for readers, however many steps it
 * takes (replace.ts): the old turns until the job's last step commits, the new ones after.
 */
import type { QueryCtx } from "./_generated/server.js";
import { fail } from "./errors.js";
import { findThread } from "./scope.js";
import { chainAt } from "./threadState.js";

export type Base = { keepTurns: number; prefixHash?: string };

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
