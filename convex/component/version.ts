// The version of the host contract this component implements. The Python package checks it (doctor).
// 2: byte-bounded reads (truncated list text, getMessageText, getItemJson), large-item views
// 3: one job engine (deletion jobs report retry_wait); host presence (open/heartbeat/closeHostSession, `host` in the
//    conversation view and summary, hostSessionId on syncOpenConversationBinding, E_HOST_OFFLINE on answers)
// 4: getMessageSegments (live text by pages: reads per streaming update stay O(one page)); mutations re-sent by a
//    reconnecting client are applied once
// 5: lossless threads (threadJson events, turns' own JSON, getThreadJson) and incremental sync (turn digests,
//    getThreadSyncState, a seal's base)
// 6: turn plans (turnPlan events; `plan` on turns and, the latest turn's, in the conversation view); a turn's error
//    fields bounded (TURN_ERROR_MAX_CHARS); listTurns pages of at most TURNS_PAGE_MAX turns
// 7: a thread's name (≤ TITLE_MAX_CHARS) and cwd/model/forkedFromId/parentThreadId (≤ THREAD_FIELD_MAX_CHARS) bounded
//    on its row (E_INGEST_THREAD_META_TOO_LARGE); sub-agents (threadMeta parentThreadId, a conversation's
//    parentConversationId, listConversationAgents, their pending requests in their parent's listPending); the
//    conversation view's notices (lifecycle events, bounded: E_INGEST_NOTICE_TOO_LARGE)
// 8: thread goals (threadGoal events; `goal` in the conversation view, GOAL_OBJECTIVE_MAX_CHARS)
// 9: remote interrupt (requestInterrupt, getInterruptRequest, markInterruptHandled: a client stops the host's turn)
// 10: imported goals (a sync carries the thread's goal as a threadGoal record; getThreadSyncState's `goal`); bounded
//     request params (paramsClipped, SERVER_REQUEST_PARAMS_MAX_CHARS) and message summaries; a client resumes a goal
//     (requestGoalResume; control requests carry their `action`, outcomes resumed/noGoal/superseded)
// 11: client messages (sendClientMessage, listQueuedClientMessages, getClientMessage, markClientMessageHandled: a
//     client gives the host a message to start a turn with or to steer the running turn with)
// 12: a streaming message is listed and viewed without its text (listStreamingMessages carries it, one subscription per
//     conversation beside its view; clients merge the two): a delta writes only the message's segments, so a
//     conversation view no longer re-runs at every delta
// 13: a client gives the thread a new goal (requestGoal: control requests carry their `objective`, action setGoal,
//     outcome goalSet); a host takes a client message before giving it to Codex (takeClientMessage: states taking and
//     unconfirmed, E_CLIENT_MESSAGE_NOT_QUEUED)
// 14: repeatable mutations (the contract marks the ones a client may send again after a lost answer: takeClientMessage,
//     markClientMessageHandled, markInterruptHandled, respondServerRequest, and a sync source's start, append and
//     seal); the same answer to a server request again returns the request instead of E_REQUEST_ALREADY_ANSWERED
// 15: a client message may ask for Codex's plan mode (sendClientMessage's `plan`; a client message carries `plan`)
export const CONTRACT_VERSION = 15;
export const COMPONENT_NAME = "codexConvex";
