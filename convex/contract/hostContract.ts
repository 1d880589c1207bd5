/**
 * THE host contract: every endpoint the app exposes to a host, in one place. `npm run shim` renders from it
 * (and from the component functions' own validators) `app/chat.ts`, `contract/host-contract.json` and the
 * Python endpoint API; `npm run shim:check` (and `codex-convex host-shim check`) fails on any drift.
 *
 * Each endpoint calls one component function with the same arguments minus `actor`, which the shim derives
 * from `ctx.auth` (never from the caller).
 */
import { v, type GenericValidator } from "convex/values";
import { CONTRACT_VERSION } from "../component/version.js";
import { LIMITS } from "../component/limits.js";
import { vConversation, vThreadSummary } from "../component/conversations.js";
import { vDeletionJob } from "../component/deletion.js";
import { vIngestResult } from "../component/ingest.js";
import { vIngestEvent, vItemPhase, vItemView } from "../component/ingestEvents.js";
import { vItem, vMessage, vTurn } from "../component/messages.js";
import { vDecision, vServerRequest } from "../component/requests.js";
import { vJob } from "../component/syncJobs.js";
import { vInterruptRequest } from "../component/control.js";
import { vClientMessage } from "../component/clientMessages.js";
import { vHostSession } from "../component/presence.js";
import { vHostPresence } from "../component/tables/presence.js";
import { vSourceRow, vSourceView } from "../component/syncSources.js";
import { vUsage } from "../component/tokenUsage.js";
import { vDeletionPhase, vDeletionTarget } from "../component/tables/deletion.js";
import { vCodedError, vJobState, vSyncBase } from "../component/tables/sync.js";
import { vGoalStatus, vMessageStatus, vPaginationOpts, vRequestStatus, vSyncState, vThreadGoal, vTurnError, vTurnStatus } from "../component/validators.js";

/**
 * `repeatable`: a mutation whose answer was lost on the way (the connection dropped after it was sent, so it may have
 * run) can be sent again with no further effect, and answers with the same outcome (it may say it was done already:
 * `resumed`, `appended: false`, `scheduled: false`); clients repeat these on any transport error and other mutations
 * only when nothing was sent. Queries are always repeatable.
 */
export type Endpoint = { kind: "query" | "mutation"; fn: string; doc: string; repeatable?: true };

export const contract = {
  version: CONTRACT_VERSION,
  // Off: every call needs an identity (E_AUTH_REQUIRED). On: calls without one act as `anon:<anonymousDeviceId>`,
  // one scope per device, never a shared one.
  allowAnonymous: false,
  // Shapes the generated clients name (Python: one pydantic model or Literal alias each). A shape matching none of
  // these is named after where it appears (e.g. `GetTurnFound`). Union members are named after their tag.
  models: {
    NotFound: v.object({ found: v.literal(false) }),
    PaginationOpts: vPaginationOpts,
    Conversation: vConversation,
    ThreadSummary: vThreadSummary,
    Message: vMessage,
    Turn: vTurn,
    TurnError: vTurnError,
    Item: vItem,
    ItemView: vItemView,
    ItemPhase: vItemPhase,
    IngestEvent: vIngestEvent,
    IngestResult: vIngestResult,
    ServerRequest: vServerRequest,
    Decision: vDecision,
    TokenUsageReport: vUsage,
    SyncSource: vSourceView,
    SyncSourceRow: vSourceRow,
    SyncJob: vJob,
    JobState: vJobState,
    CodedError: vCodedError,
    SyncBase: vSyncBase,
    DeletionJob: vDeletionJob,
    DeletionTarget: vDeletionTarget,
    DeletionPhase: vDeletionPhase,
    SyncState: vSyncState,
    TurnStatus: vTurnStatus,
    MessageStatus: vMessageStatus,
    RequestStatus: vRequestStatus,
    HostSession: vHostSession,
    HostPresence: vHostPresence,
    ThreadGoal: vThreadGoal,
    GoalStatus: vGoalStatus,
    InterruptRequest: vInterruptRequest,
    ClientMessage: vClientMessage,
  } satisfies Record<string, GenericValidator>,
  limits: LIMITS,
  endpoints: {
    validateHostWiring: { kind: "query", fn: "conversations:validateHostWiring", doc: "Check that the shim, auth and the component are wired (call at start-up)." },
    newConversation: { kind: "mutation", fn: "conversations:create", doc: "Create an empty conversation." },
    syncOpenConversationBinding: { kind: "mutation", fn: "conversations:syncOpenBinding", doc: "Open (or find) the conversation bound to a Codex thread." },
    markConversationSyncProgress: { kind: "mutation", fn: "conversations:markSyncProgress", doc: "Record sync progress (guarded by the expected sync job)." },
    forceRebindConversationSync: { kind: "mutation", fn: "conversations:forceRebind", doc: "Bind the conversation to another thread, keeping the history." },
    archiveConversation: { kind: "mutation", fn: "conversations:archive", doc: "Archive a conversation." },
    unarchiveConversation: { kind: "mutation", fn: "conversations:unarchive", doc: "Unarchive a conversation." },
    listConversations: { kind: "query", fn: "conversations:list", doc: "The caller's conversations, newest first, a page at a time." },
    getConversation: { kind: "query", fn: "conversations:get", doc: "One conversation, or {found:false}." },
    listConversationForks: { kind: "query", fn: "conversations:listForks", doc: "The conversations forked from this one (Codex forks), newest first." },
    requestInterrupt: { kind: "mutation", fn: "control:requestInterrupt", doc: "Ask the host driving the conversation to stop its running turn (and pause an active goal)." },
    requestGoalResume: { kind: "mutation", fn: "control:requestGoalResume", doc: "Ask the host driving the conversation to resume the thread's goal (Codex then goes on by itself)." },
    requestGoal: { kind: "mutation", fn: "control:requestGoal", doc: "Ask the host driving the conversation to give the thread a new goal, active (Codex then works toward it on its own)." },
    getInterruptRequest: { kind: "query", fn: "control:getInterruptRequest", doc: "The conversation's newest control request (stop, resume or new goal), or null (the host subscribes to it)." },
    markInterruptHandled: { kind: "mutation", fn: "control:markInterruptHandled", doc: "The host records what it did about a control request.", repeatable: true },
    sendClientMessage: { kind: "mutation", fn: "clientMessages:send", doc: "Give the host driving the conversation a message: it starts a turn with it when Codex is idle (in Codex's plan mode with `plan`: a host without the experimental API marks it failed), or steers the running turn with it." },
    listQueuedClientMessages: { kind: "query", fn: "clientMessages:listQueued", doc: "The conversation's messages no host has taken yet, oldest first (the host subscribes to it)." },
    getClientMessage: { kind: "query", fn: "clientMessages:get", doc: "One client message and what the host did with it, or null (a sender follows it)." },
    takeClientMessage: { kind: "mutation", fn: "clientMessages:take", doc: "The host takes a queued client message before giving it to Codex (once: E_CLIENT_MESSAGE_NOT_QUEUED after), so a host gone before marking it leaves it unconfirmed, not stale.", repeatable: true },
    markClientMessageHandled: { kind: "mutation", fn: "clientMessages:markHandled", doc: "The host records what it did with a client message (started or steered a turn, stale, failed).", repeatable: true },
    listConversationAgents: { kind: "query", fn: "conversations:listAgents", doc: "The conversations of the sub-agents this one's thread spawned (Codex's spawn_agent), newest first." },
    getConversationSummary: { kind: "query", fn: "conversations:summary", doc: "A conversation with its thread, counts, pending requests and token usage." },
    listThreadsForConversation: { kind: "query", fn: "conversations:listThreads", doc: "The threads a conversation was bound to, newest first." },
    ingestEvents: { kind: "mutation", fn: "ingest:ingestBatch", doc: "Apply a sequenced batch of host events (live replication)." },
    getConversationView: { kind: "query", fn: "views:conversationView", doc: "Everything a conversation view shows, in one query: subscribe to it. A streaming message comes without its text (`text` \"\"): subscribe to listStreamingMessages beside it (useConversation and watch_conversation merge the two), so the view does not re-run at every delta." },
    listMessages: { kind: "query", fn: "messages:list", doc: "Messages, newest first, a page at a time (each text up to its first 16 Ki characters; a streaming message's is in listStreamingMessages)." },
    listStreamingMessages: { kind: "query", fn: "messages:listStreaming", doc: "The live text of each message streaming in the conversation, oldest first (its first 8 segments; `nextSegment`: read on with getMessageSegments): the one subscription that re-runs as text streams." },
    getMessageText: { kind: "query", fn: "messages:getMessageText", doc: "A message's whole text, a page of segments at a time." },
    getMessageSegments: { kind: "query", fn: "messages:getMessageSegments", doc: "A message's text for a live reader, 8 segments per page and subscription (`nextSegment`: subscribe to the next page too); only the page holding the growing tail re-runs while it streams." },
    getTurn: { kind: "query", fn: "messages:getTurn", doc: "A turn with its items' Codex JSON, a byte-bounded page at a time." },
    getItemJson: { kind: "query", fn: "messages:getItemJson", doc: "An item's whole Codex JSON, a page of parts at a time." },
    listTurns: { kind: "query", fn: "messages:listTurns", doc: "A thread's turns in order, a page at a time." },
    getThreadJson: { kind: "query", fn: "threadState:getThreadJson", doc: "The thread's own Codex JSON (thread/read without turns), a page of parts at a time." },
    getThreadSyncState: { kind: "query", fn: "threadState:getThreadSyncState", doc: "What a sync holds of a thread: its chained turns and their prefix hash (also after `atTurns` turns)." },
    listPendingServerRequests: { kind: "query", fn: "requests:listPending", doc: "Pending approvals and other server requests ([] when the conversation is missing)." },
    getServerRequest: { kind: "query", fn: "requests:get", doc: "One server request, or null." },
    respondServerRequest: { kind: "mutation", fn: "requests:respond", doc: "Answer a pending request (the first answer wins: another is E_REQUEST_ALREADY_ANSWERED; the same one again returns the request).", repeatable: true },
    getTokenUsage: { kind: "query", fn: "tokenUsage:get", doc: "The latest token usage and the recent turns' reports." },
    startConversationSyncSource: { kind: "mutation", fn: "syncSources:start", doc: "Start (or find, by idempotency key) an import of a local thread.", repeatable: true },
    listConversationSyncSourceChunks: { kind: "query", fn: "syncSources:listChunks", doc: "Which chunks of a source the server holds, with their hashes." },
    appendConversationSyncSourceChunk: { kind: "mutation", fn: "syncSources:append", doc: "Add one hashed chunk (same chunk again: no-op; other payload: conflict).", repeatable: true },
    sealConversationSyncSource: { kind: "mutation", fn: "syncSources:seal", doc: "Check totals and root hash, then queue the import job.", repeatable: true },
    cancelConversationSyncJob: { kind: "mutation", fn: "syncJobs:cancel", doc: "Cancel a running import job (the binding becomes drifted)." },
    getConversationSyncJob: { kind: "query", fn: "syncJobs:get", doc: "A sync job by id, or a conversation's latest: subscribe to it." },
    listConversationSyncJobs: { kind: "query", fn: "syncJobs:list", doc: "Sync jobs, newest first, by conversation or state." },
    deleteThread: { kind: "mutation", fn: "threads:deleteCascade", doc: "Delete a thread and everything of it (its conversation too), now." },
    scheduleDeleteThread: { kind: "mutation", fn: "threads:scheduleDeleteCascade", doc: "Delete a thread after a grace period (default 10 min)." },
    deleteTurn: { kind: "mutation", fn: "turns:deleteCascade", doc: "Delete one turn and everything of it, now." },
    scheduleDeleteTurn: { kind: "mutation", fn: "turns:scheduleDeleteCascade", doc: "Delete one turn after a grace period." },
    purgeActorData: { kind: "mutation", fn: "threads:purgeActorData", doc: "Delete everything the caller owns, now." },
    schedulePurgeActorData: { kind: "mutation", fn: "threads:schedulePurgeActorData", doc: "Delete everything the caller owns after a grace period." },
    cancelDeletion: { kind: "mutation", fn: "threads:cancelScheduledDeletion", doc: "Cancel a deletion still in its grace period." },
    forceRunDeletion: { kind: "mutation", fn: "threads:forceRunScheduledDeletion", doc: "Run a scheduled deletion now." },
    previewDeletion: { kind: "query", fn: "threads:previewDeletion", doc: "What a deletion would remove, per table (dry run)." },
    listConversationSyncSources: { kind: "query", fn: "syncSources:list", doc: "The caller's sync sources, newest first." },
    listDeletionJobs: { kind: "query", fn: "threads:listDeletionJobs", doc: "The caller's deletion jobs, newest first." },
    getDeletionStatus: { kind: "query", fn: "threads:getDeletionJobStatus", doc: "A deletion job's phase and per-table counts: subscribe to it." },
    openHostSession: { kind: "mutation", fn: "presence:open", doc: "Register this host process (or revive it): readers see it online while it heartbeats." },
    heartbeatHostSession: { kind: "mutation", fn: "presence:heartbeat", doc: "Keep the host session alive (its own row only); revived: reconcile from Codex." },
    closeHostSession: { kind: "mutation", fn: "presence:close", doc: "End the host session on a clean stop (no sweep)." },
  } satisfies Record<string, Endpoint>,
};
