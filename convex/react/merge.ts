/**
 * The pure logic of the React hooks (unit-tested without React): a conversation's messages with the sends not yet
 * durable shown at once, each turn's state, sync progress ("12/20 synced"), a long message's text joined from its
 * live pages, and the optimistic view of a deletion job. The same rules as the Python host's `watch_conversation`.
 */
import type { Conversation, DeletionJob, Message, SyncJob } from "./api.gen.js";

/** A send (or the reply it awaits) that Convex does not show yet. */
export type OptimisticMessage = {
  optimistic: true;
  role: "user" | "assistant";
  text: string;
  createdAt: number;
  status: "pending";
};

export type ShownMessage = (Message & { optimistic?: false }) | OptimisticMessage;

/** How long before a send a durable user message may have been created and still count as that send (clock skew). */
export const SKEW_MS = 5_000;

/** The optimistic sends that no durable user message answers yet (a long text arrives cut to its beginning). */
export function pendingSends(durable: readonly Message[], sends: readonly OptimisticMessage[]): OptimisticMessage[] {
  const users = durable.filter((m) => m.role === "user");
  const keep: OptimisticMessage[] = [];
  for (const send of sends) {
    if (send.role !== "user") continue;
    const seen = users.some((m) => (m.text === send.text || (m.textTruncated && send.text.startsWith(m.text))) && m.createdAt >= send.createdAt - SKEW_MS);
    if (!seen) keep.push(send, { optimistic: true, role: "assistant", text: "", createdAt: send.createdAt, status: "pending" });
  }
  return keep;
}

/** The view's messages (newest first, as the query returns them) oldest first, then the pending sends. */
export function mergeMessages(newestFirst: readonly Message[], sends: readonly OptimisticMessage[]): ShownMessage[] {
  const durable = [...newestFirst].reverse();
  return [...durable, ...pendingSends(durable, sends)];
}

/**
 * The view's messages (oldest first) with older pages read from `listMessages` (newest first): each message once —
 * the view's copy wins, it is the live one — in conversation order.
 */
export function withOlder(shown: readonly ShownMessage[], olderNewestFirst: readonly Message[]): ShownMessage[] {
  const key = (m: Message) => `${m.turnId}\u0000${m.itemId}`;
  const inView = new Set(shown.flatMap((m) => (m.optimistic ? [] : [key(m)])));
  const older = olderNewestFirst.filter((m) => !inView.has(key(m)));
  const durable = [...older, ...shown.filter((m): m is Message & { optimistic?: false } => !m.optimistic)];
  durable.sort((a, b) => a.turnOrdinal - b.turnOrdinal || a.itemOrdinal - b.itemOrdinal);
  return [...durable, ...shown.filter((m) => m.optimistic)];
}

export type TurnState = {
  turnId: string;
  ordinal: number;
  state: "running" | "completed" | "failed" | "interrupted" | "declined";
  messages: number;
};

/** Each turn of the shown messages with its state: running while any of its messages streams. */
export function turnStates(messages: readonly ShownMessage[]): TurnState[] {
  const byTurn = new Map<string, TurnState>();
  for (const m of messages) {
    if (m.optimistic) continue;
    const t = byTurn.get(m.turnId) ?? { turnId: m.turnId, ordinal: m.turnOrdinal, state: "completed" as TurnState["state"], messages: 0 };
    t.messages += 1;
    if (m.status === "streaming") t.state = "running";
    else if (t.state !== "running" && (m.status === "failed" || m.status === "interrupted")) t.state = m.status;
    byTurn.set(m.turnId, t);
  }
  return [...byTurn.values()].sort((a, b) => a.ordinal - b.ordinal);
}

export type SyncProgress = {
  syncedCount: number;
  totalCount: number;
  syncState: "syncing" | "synced" | "failed" | "cancelled" | "unsynced" | "drifted";
  label: string; // "12/20 synced"
  fraction: number; // 0..1, for a progress bar
};

export function syncProgress(conversation: Conversation, job: SyncJob | null): SyncProgress {
  if (job !== null) {
    const fraction = job.totalRecords > 0 ? Math.min(1, job.processedRecords / job.totalRecords) : job.publicState === "synced" ? 1 : 0;
    return { syncedCount: job.processedRecords, totalCount: job.totalRecords, syncState: job.publicState, label: job.label, fraction };
  }
  const state = conversation.syncState;
  return {
    syncedCount: 0, totalCount: 0, syncState: state, label: state === "unsynced" ? "nothing to sync" : state,
    fraction: state === "synced" ? 1 : 0,
  };
}

/** One page of a message's live text (getMessageSegments). */
export type SegmentPage = { found: false } | { found: true; fromSegment: number; text: string; nextSegment: number | null };

/** A streaming message's live text (listStreamingMessages: its first page of segments). */
export type StreamingText = { threadId: string; turnId: string; itemId: string; text: string; nextSegment: number | null };

/**
 * The view's messages with each streaming one's live text: the view carries a streaming message without its text
 * (so it does not re-run at every delta), and listStreamingMessages has it. A message not in it yet (that
 * subscription's next answer is on its way) is left as the view has it.
 */
export function withStreamingText(messages: readonly Message[], streaming: readonly StreamingText[] | undefined): Message[] {
  return messages.map((m) => {
    if (m.status !== "streaming") return m;
    const s = streaming?.find((x) => x.turnId === m.turnId && x.itemId === m.itemId);
    return s === undefined ? m : { ...m, text: s.text, textTruncated: s.nextSegment !== null };
  });
}

/**
 * A long message's text from its live pages, in order: `undefined` pages are still loading, so the text stops
 * before the first of them (never a gap). `next` is the page to subscribe to next (null when the last page is here).
 */
export function joinSegmentPages(pages: ReadonlyArray<SegmentPage | undefined>): { text: string; complete: boolean; next: number | null } {
  let text = "";
  for (const p of pages) {
    if (p === undefined) return { text, complete: false, next: null };
    if (!p.found) return { text, complete: true, next: null };
    text += p.text;
    if (p.nextSegment === null) return { text, complete: true, next: null };
  }
  const last = pages[pages.length - 1];
  return { text, complete: false, next: last && last.found ? last.nextSegment : 0 };
}

/** What a deletion job looks like right after the user cancels or forces it, before the server answers. */
export function optimisticDeletion(job: DeletionJob, action: "cancel" | "forceRun", now: number): DeletionJob {
  if (job.phase !== "scheduled") return job; // the server refuses (E_DELETION_NOT_CANCELLABLE / E_DELETION_NOT_SCHEDULED)
  return action === "cancel"
    ? { ...job, phase: "cancelled", finishedAt: now, updatedAt: now }
    : { ...job, runAt: now, updatedAt: now }; // still scheduled, due now: the server runs it at once
}

/** A deletion job's progress: rows deleted so far and whether it is over. */
export function deletionProgress(job: DeletionJob): { deleted: number; done: boolean; label: string } {
  const done = job.phase === "completed" || job.phase === "cancelled" || job.phase === "failed";
  const label = job.phase === "scheduled" ? `scheduled for ${new Date(job.runAt).toLocaleTimeString()}` : `${job.phase}: ${job.deleted} rows deleted`;
  return { deleted: job.deleted, done, label };
}
