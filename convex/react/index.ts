/**
 * `codex-convex/react`: React hooks over the app's host endpoints (`api.chat`, the generated shim), built on
 * `convex/react`. Wrap the app in `<CodexProvider api={api.chat}>` (inside Convex's own `ConvexProvider`); every hook
 * subscribes to bounded, paginated queries, so a hook re-renders when Convex pushes a change.
 *
 *   const c = useConversation(conversationId);
 *   c.messages            oldest first, streaming text growing as deltas land; sends not yet durable last
 *   c.pendingRequests     approvals Codex waits on; c.respond(request, "accept"); a question (plan mode's
 *                         item/tool/requestUserInput): c.answer(request, { answers: { [questionId]: { answers: ["B"] } } })
 *   c.plan                the latest turn's plan (steps with their status), or null
 *   c.goal                the thread's goal (objective, status, tokens used), or null
 *   c.interrupt()         ask the host driving it to stop Codex (c.stopping until the host did)
 *   c.resumeGoal()        ask the host to resume the thread's paused goal (c.resuming until the host did)
 *   c.setGoal(objective)  ask the host to give the thread a new goal, active (c.settingGoal until the host did;
 *                         c.control: the newest control request, its outcome once handled)
 *   c.send(text)          give the host a message: a turn starts with it (Codex idle; c.send(text, { plan: true }): in
 *                         Codex's plan mode) or it steers the running turn;
 *                         c.queued: messages no host has taken yet; c.lastSent: this client's last, with what the host
 *                         did (started | steered | stale | failed); E_HOST_OFFLINE when no host drives it
 *   c.syncProgress.label  "12/20 synced"
 */
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useMutation, usePaginatedQuery, useQueries, useQuery } from "convex/react";
import { LIMITS, type CodexChatApi, type Decision, type DeletionJob, type Message, type ServerRequest } from "./api.gen.js";
import {
  deletionProgress, joinSegmentPages, mergeMessages, optimisticDeletion, syncProgress, turnStates, withOlder, withStreamingText,
  type OptimisticMessage, type SegmentPage,
} from "./merge.js";

export * from "./api.gen.js";
export * from "./merge.js";

const ApiContext = createContext<CodexChatApi | null>(null);

/** Gives the hooks the app's host endpoints: `<CodexProvider api={api.chat}>`. */
export function CodexProvider(props: { api: CodexChatApi; children?: ReactNode }) {
  return createElement(ApiContext.Provider, { value: props.api }, props.children);
}

export function useCodexApi(): CodexChatApi {
  const api = useContext(ApiContext);
  if (api === null) throw new Error("codex-convex/react: wrap the app in <CodexProvider api={api.chat}>");
  return api;
}

/** Messages a conversation view shows at first (the query caps it at the contract's page size). */
export const DEFAULT_VIEW_MESSAGES = 50;

/**
 * A conversation, live: one subscription to its view (the newest `numMessages`), one to the text of its streaming
 * messages, one to its token usage. Older
 * messages come a page at a time from `listMessages` once asked for: `loadOlder(n)` (`hasOlderMessages` says whether
 * there are more).
 */
export function useConversation(conversationId: string | null | undefined, opts: { numMessages?: number } = {}) {
  const api = useCodexApi();
  const [olderWanted, setOlderWanted] = useState(0);
  const viewSize = Math.min(opts.numMessages ?? DEFAULT_VIEW_MESSAGES, LIMITS.MAX_PAGE_SIZE);
  // the first page reaches past the view's messages (a page holds at most MAX_PAGE_SIZE)
  const older = usePaginatedQuery(api.listMessages, conversationId && olderWanted > 0 ? { conversationId } : "skip",
    { initialNumItems: Math.min(viewSize + DEFAULT_VIEW_MESSAGES, LIMITS.MAX_PAGE_SIZE) });
  const loadOlder = useCallback((n: number = DEFAULT_VIEW_MESSAGES) => {
    if (olderWanted === 0) setOlderWanted(1);
    else if (older.status === "CanLoadMore") older.loadMore(n);
  }, [olderWanted, older]);
  const args = conversationId ? { conversationId, numMessages: viewSize } : null;
  const view = useQuery(api.getConversationView, args ?? "skip");
  // the text of its streaming messages: one more subscription, the only one that re-runs at every delta
  const streaming = useQuery(api.listStreamingMessages, conversationId ? { conversationId } : "skip");
  const usage = useQuery(api.getTokenUsage, conversationId ? { conversationId } : "skip");
  const [sends, setSends] = useState<OptimisticMessage[]>([]);
  // Answering hides the request at once; the server's answer (the first answer wins) replaces the guess.
  const respondMutation = useMutation(api.respondServerRequest).withOptimisticUpdate((store, a) => {
    if (args === null) return;
    const current = store.getQuery(api.getConversationView, args);
    if (current === undefined || !current.found) return;
    store.setQuery(api.getConversationView, args, {
      ...current, pendingRequests: current.pendingRequests.filter((r) => r.requestId !== a.requestId || r.turnId !== a.turnId),
    });
  });
  const respond = useCallback(
    (request: ServerRequest, decision: Decision) =>
      respondMutation({ threadId: request.threadId, turnId: request.turnId, requestId: request.requestId, decision }),
    [respondMutation],
  );
  /** Answer a request that is not an approval with the JSON Codex expects back (for a question: its answers). */
  const answer = useCallback(
    (request: ServerRequest, response: Record<string, unknown>) =>
      respondMutation({ threadId: request.threadId, turnId: request.turnId, requestId: request.requestId, responseJson: JSON.stringify(response) }),
    [respondMutation],
  );
  // Stop, resume and a new goal: requests the host driving the conversation answers (a stop interrupts the turn and
  // pauses an active goal; a resume sets the goal active, so Codex goes on by itself; a new goal replaces the thread's,
  // active, so Codex works toward it).
  const interruptRequest = useQuery(api.getInterruptRequest, conversationId ? { conversationId } : "skip");
  const interruptMutation = useMutation(api.requestInterrupt);
  const interrupt = useCallback(
    () => (conversationId ? interruptMutation({ conversationId }) : Promise.resolve(null)),
    [interruptMutation, conversationId],
  );
  const resumeMutation = useMutation(api.requestGoalResume);
  const resumeGoal = useCallback(
    () => (conversationId ? resumeMutation({ conversationId }) : Promise.resolve(null)),
    [resumeMutation, conversationId],
  );
  const goalMutation = useMutation(api.requestGoal);
  const setGoal = useCallback(
    (objective: string) => (conversationId ? goalMutation({ conversationId, objective }) : Promise.resolve(null)),
    [goalMutation, conversationId],
  );
  // Messages to the host: it runs each (a turn, or the running one steered) and says what it did.
  const queuedMessages = useQuery(api.listQueuedClientMessages, conversationId ? { conversationId } : "skip");
  const [lastSentId, setLastSentId] = useState<string | null>(null);
  const lastSent = useQuery(api.getClientMessage, lastSentId !== null ? { messageId: lastSentId } : "skip");
  const sendMutation = useMutation(api.sendClientMessage);
  const send = useCallback(async (text: string, opts: { plan?: boolean } = {}) => {
    if (!conversationId) return null;
    const sent = await sendMutation({ conversationId, text, ...(opts.plan === true ? { plan: true } : {}) });
    setLastSentId(sent.messageId);
    return sent;
  }, [sendMutation, conversationId]);
  const waiting = interruptRequest !== undefined && interruptRequest !== null && interruptRequest.handledAt === null ? interruptRequest.action : null;
  /** Show a message the app is sending (through its host) until the durable one arrives. */
  const addPendingSend = useCallback((text: string) => {
    setSends((s) => [...s, { optimistic: true, role: "user", text, createdAt: Date.now(), status: "pending" }]);
  }, []);
  return useMemo(() => {
    if (view === undefined) return { status: "loading" as const, respond, answer, addPendingSend, loadOlder };
    if (!view.found) return { status: "notFound" as const, respond, answer, addPendingSend, loadOlder };
    const recent = mergeMessages(withStreamingText(view.messages, streaming), sends);
    const messages = olderWanted > 0 ? withOlder(recent, older.results) : recent;
    const hasOlderMessages = olderWanted > 0 ? older.status !== "Exhausted" : view.hasOlderMessages;
    const progress = syncProgress(view.conversation, view.latestJob);
    return {
      status: "ready" as const,
      conversation: view.conversation,
      messages,
      hasOlderMessages,
      loadingOlder: olderWanted > 0 && (older.status === "LoadingFirstPage" || older.status === "LoadingMore"),
      loadOlder,
      turns: turnStates(messages),
      pendingRequests: view.pendingRequests,
      respond,
      answer,
      addPendingSend,
      tokenUsage: usage ?? null,
      syncProgress: progress,
      latestJob: view.latestJob,
      host: view.host,
      plan: view.plan,
      notices: view.notices, // newest first: Codex's errors and warnings (and rebinds)
      goal: view.goal, // the thread's goal as Codex last reported it: Codex works toward it on its own while active
      interrupt,
      stopping: waiting === "interrupt",
      resumeGoal,
      resuming: waiting === "resumeGoal",
      setGoal,
      settingGoal: waiting === "setGoal",
      control: interruptRequest ?? null, // the newest control request (stop, resume, new goal), its outcome once handled
      send,
      queued: queuedMessages ?? [],
      lastSent: lastSent ?? null,
      canSend: progress.syncState !== "syncing", // an import is writing turns: a send now could interleave
    };
  }, [view, streaming, usage, sends, respond, answer, addPendingSend, loadOlder, olderWanted, older.results, older.status, interrupt, resumeGoal, setGoal, interruptRequest, waiting, send, queuedMessages, lastSent]);
}

/** The caller's conversations, newest first, a page at a time (`loadMore(n)`). */
export function useConversations(opts: { includeArchived?: boolean; pageSize?: number } = {}) {
  const api = useCodexApi();
  return usePaginatedQuery(api.listConversations, { includeArchived: opts.includeArchived ?? false }, { initialNumItems: opts.pageSize ?? 25 });
}

/** The conversations of the sub-agents a conversation's thread spawned (Codex's spawn_agent), newest first, live. */
export function useConversationAgents(conversationId: string | null | undefined) {
  const api = useCodexApi();
  return useQuery(api.listConversationAgents, conversationId ? { conversationId } : "skip") ?? [];
}

/** A sync job (an import) by id, live, with its progress. */
export function useSyncJob(jobId: string | null | undefined) {
  const api = useCodexApi();
  const got = useQuery(api.getConversationSyncJob, jobId ? { jobId } : "skip");
  if (got === undefined) return { status: "loading" as const };
  if (!got.found) return { status: "notFound" as const };
  const { job } = got;
  return {
    status: "ready" as const, job,
    progress: { syncedCount: job.processedRecords, totalCount: job.totalRecords, label: job.label, fraction: job.totalRecords ? Math.min(1, job.processedRecords / job.totalRecords) : job.publicState === "synced" ? 1 : 0 },
  };
}

/** Sync jobs, newest first (of one conversation, or all of the caller's), a page at a time. */
export function useSyncJobs(opts: { conversationId?: string; pageSize?: number } = {}) {
  const api = useCodexApi();
  const args = opts.conversationId ? { conversationId: opts.conversationId } : {};
  return usePaginatedQuery(api.listConversationSyncJobs, args, { initialNumItems: opts.pageSize ?? 10 });
}

/** The caller's deletion jobs, newest first, a page at a time. */
export function useDeletionJobs(opts: { pageSize?: number } = {}) {
  const api = useCodexApi();
  return usePaginatedQuery(api.listDeletionJobs, {}, { initialNumItems: opts.pageSize ?? 10 });
}

/** A deletion job, live, with `cancel()` and `forceRun()` shown at once (optimistic) and confirmed by Convex. */
export function useDeletion(jobId: string | null | undefined) {
  const api = useCodexApi();
  const got = useQuery(api.getDeletionStatus, jobId ? { jobId } : "skip");
  const optimistic = (action: "cancel" | "forceRun") => (store: { getQuery: any; setQuery: any }, a: { jobId: string }) => {
    const current = store.getQuery(api.getDeletionStatus, { jobId: a.jobId }) as { found: boolean; job?: DeletionJob } | undefined;
    if (current?.found && current.job) store.setQuery(api.getDeletionStatus, { jobId: a.jobId }, { found: true, job: optimisticDeletion(current.job, action, Date.now()) });
  };
  const cancelMutation = useMutation(api.cancelDeletion).withOptimisticUpdate(optimistic("cancel"));
  const forceMutation = useMutation(api.forceRunDeletion).withOptimisticUpdate(optimistic("forceRun"));
  const cancel = useCallback(() => (jobId ? cancelMutation({ jobId }) : Promise.reject(new Error("no deletion job"))), [jobId, cancelMutation]);
  const forceRun = useCallback(() => (jobId ? forceMutation({ jobId }) : Promise.reject(new Error("no deletion job"))), [jobId, forceMutation]);
  if (got === undefined) return { status: "loading" as const, cancel, forceRun };
  if (!got.found) return { status: "notFound" as const, cancel, forceRun };
  return { status: "ready" as const, job: got.job, progress: deletionProgress(got.job), cancel, forceRun };
}

/**
 * A message's whole text, live. A view carries each text's first 16 Ki characters (`textTruncated` past that): a
 * longer one is read page by page (8 segments each); only the page holding the growing tail re-runs as it streams.
 */
export function useMessageText(message: Message | null | undefined): { text: string; complete: boolean } {
  const api = useCodexApi();
  const [starts, setStarts] = useState<number[]>([0]);
  const long = !!message && message.textTruncated;
  const queries = useMemo(() => {
    if (!long || !message) return {};
    const at = { threadId: message.threadId, turnId: message.turnId, itemId: message.itemId };
    return Object.fromEntries(starts.map((s) => [String(s), { query: api.getMessageSegments, args: { ...at, fromSegment: s } }]));
  }, [long, message?.threadId, message?.turnId, message?.itemId, starts, api]);
  const results = useQueries(queries);
  const pages = starts.map((s) => {
    const r = results[String(s)];
    return r instanceof Error ? undefined : (r as SegmentPage | undefined);
  });
  const joined = joinSegmentPages(long ? pages : []);
  useEffect(() => {
    const next = joined.next;
    if (next !== null) setStarts((s) => (s.includes(next) ? s : [...s, next]));
  }, [joined.next]);
  if (!long || !message) return { text: message?.text ?? "", complete: message?.status !== "streaming" };
  return { text: joined.text.length >= message.text.length ? joined.text : message.text, complete: joined.complete && message.status !== "streaming" };
}
