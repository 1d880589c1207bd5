/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/** The component's public functions, as the app that mounts it sees them (`components.codexConvex`). */
export type ComponentApi<Name extends string | undefined = string | undefined> =
  {
    clientMessages: {
      get: FunctionReference<
        "query",
        "internal",
        { actor: string; messageId: string },
        {
          messageId: string;
          conversationId: string;
          text: string;
          plan: boolean;
          sentAt: number;
          state:
            | "queued"
            | "taking"
            | "unconfirmed"
            | "started"
            | "steered"
            | "stale"
            | "failed";
          turnId: string | null;
          error: string | null;
          handledAt: number | null;
        } | null,
        Name
      >;
      listQueued: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        Array<{
          messageId: string;
          conversationId: string;
          text: string;
          plan: boolean;
          sentAt: number;
          state:
            | "queued"
            | "taking"
            | "unconfirmed"
            | "started"
            | "steered"
            | "stale"
            | "failed";
          turnId: string | null;
          error: string | null;
          handledAt: number | null;
        }>,
        Name
      >;
      markHandled: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          messageId: string;
          state: "started" | "steered" | "stale" | "failed";
          turnId?: string;
          error?: string;
        },
        {
          messageId: string;
          conversationId: string;
          text: string;
          plan: boolean;
          sentAt: number;
          state:
            | "queued"
            | "taking"
            | "unconfirmed"
            | "started"
            | "steered"
            | "stale"
            | "failed";
          turnId: string | null;
          error: string | null;
          handledAt: number | null;
        },
        Name
      >;
      send: FunctionReference<
        "mutation",
        "internal",
        { actor: string; conversationId: string; text: string; plan?: boolean },
        {
          messageId: string;
          conversationId: string;
          text: string;
          plan: boolean;
          sentAt: number;
          state:
            | "queued"
            | "taking"
            | "unconfirmed"
            | "started"
            | "steered"
            | "stale"
            | "failed";
          turnId: string | null;
          error: string | null;
          handledAt: number | null;
        },
        Name
      >;
      take: FunctionReference<
        "mutation",
        "internal",
        { actor: string; messageId: string; hostSessionId?: string },
        {
          messageId: string;
          conversationId: string;
          text: string;
          plan: boolean;
          sentAt: number;
          state:
            | "queued"
            | "taking"
            | "unconfirmed"
            | "started"
            | "steered"
            | "stale"
            | "failed";
          turnId: string | null;
          error: string | null;
          handledAt: number | null;
        },
        Name
      >;
    };
    control: {
      getInterruptRequest: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        {
          requestId: string;
          conversationId: string;
          action: "interrupt" | "resumeGoal" | "setGoal";
          objective: string | null;
          requestedAt: number;
          handledAt: number | null;
          outcome:
            | "interrupted"
            | "idle"
            | "stale"
            | "resumed"
            | "noGoal"
            | "superseded"
            | "failed"
            | "goalSet"
            | null;
        } | null,
        Name
      >;
      markInterruptHandled: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          requestId: string;
          outcome:
            | "interrupted"
            | "idle"
            | "stale"
            | "resumed"
            | "noGoal"
            | "superseded"
            | "failed"
            | "goalSet";
        },
        {
          requestId: string;
          conversationId: string;
          action: "interrupt" | "resumeGoal" | "setGoal";
          objective: string | null;
          requestedAt: number;
          handledAt: number | null;
          outcome:
            | "interrupted"
            | "idle"
            | "stale"
            | "resumed"
            | "noGoal"
            | "superseded"
            | "failed"
            | "goalSet"
            | null;
        },
        Name
      >;
      requestGoal: FunctionReference<
        "mutation",
        "internal",
        { actor: string; conversationId: string; objective: string },
        {
          requestId: string;
          conversationId: string;
          action: "interrupt" | "resumeGoal" | "setGoal";
          objective: string | null;
          requestedAt: number;
          handledAt: number | null;
          outcome:
            | "interrupted"
            | "idle"
            | "stale"
            | "resumed"
            | "noGoal"
            | "superseded"
            | "failed"
            | "goalSet"
            | null;
        },
        Name
      >;
      requestGoalResume: FunctionReference<
        "mutation",
        "internal",
        { actor: string; conversationId: string },
        {
          requestId: string;
          conversationId: string;
          action: "interrupt" | "resumeGoal" | "setGoal";
          objective: string | null;
          requestedAt: number;
          handledAt: number | null;
          outcome:
            | "interrupted"
            | "idle"
            | "stale"
            | "resumed"
            | "noGoal"
            | "superseded"
            | "failed"
            | "goalSet"
            | null;
        },
        Name
      >;
      requestInterrupt: FunctionReference<
        "mutation",
        "internal",
        { actor: string; conversationId: string },
        {
          requestId: string;
          conversationId: string;
          action: "interrupt" | "resumeGoal" | "setGoal";
          objective: string | null;
          requestedAt: number;
          handledAt: number | null;
          outcome:
            | "interrupted"
            | "idle"
            | "stale"
            | "resumed"
            | "noGoal"
            | "superseded"
            | "failed"
            | "goalSet"
            | null;
        },
        Name
      >;
    };
    conversations: {
      archive: FunctionReference<
        "mutation",
        "internal",
        { actor: string; conversationId: string },
        {
          conversationId: string;
          title: string | null;
          preview: string | null;
          status: "active" | "archived" | "deleting";
          threadId: string | null;
          syncState: "unsynced" | "syncing" | "synced" | "drifted";
          activeSyncJobId: string | null;
          createdAt: number;
          updatedAt: number;
          forkedFromConversationId: string | null;
          parentConversationId: string | null;
        },
        Name
      >;
      create: FunctionReference<
        "mutation",
        "internal",
        { actor: string; title?: string },
        {
          conversationId: string;
          title: string | null;
          preview: string | null;
          status: "active" | "archived" | "deleting";
          threadId: string | null;
          syncState: "unsynced" | "syncing" | "synced" | "drifted";
          activeSyncJobId: string | null;
          createdAt: number;
          updatedAt: number;
          forkedFromConversationId: string | null;
          parentConversationId: string | null;
        },
        Name
      >;
      forceRebind: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          conversationId: string;
          threadId: string;
          reason?: string;
        },
        {
          conversationId: string;
          title: string | null;
          preview: string | null;
          status: "active" | "archived" | "deleting";
          threadId: string | null;
          syncState: "unsynced" | "syncing" | "synced" | "drifted";
          activeSyncJobId: string | null;
          createdAt: number;
          updatedAt: number;
          forkedFromConversationId: string | null;
          parentConversationId: string | null;
        },
        Name
      >;
      get: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        | { found: false }
        | {
            found: true;
            conversation: {
              conversationId: string;
              title: string | null;
              preview: string | null;
              status: "active" | "archived" | "deleting";
              threadId: string | null;
              syncState: "unsynced" | "syncing" | "synced" | "drifted";
              activeSyncJobId: string | null;
              createdAt: number;
              updatedAt: number;
              forkedFromConversationId: string | null;
              parentConversationId: string | null;
            };
          },
        Name
      >;
      list: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          includeArchived?: boolean;
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            id?: number;
            endCursor?: string | null;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            conversationId: string;
            title: string | null;
            preview: string | null;
            status: "active" | "archived" | "deleting";
            threadId: string | null;
            syncState: "unsynced" | "syncing" | "synced" | "drifted";
            activeSyncJobId: string | null;
            createdAt: number;
            updatedAt: number;
            forkedFromConversationId: string | null;
            parentConversationId: string | null;
          }>;
          isDone: boolean;
          continueCursor: string;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
      listAgents: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        Array<{
          conversationId: string;
          title: string | null;
          preview: string | null;
          status: "active" | "archived" | "deleting";
          threadId: string | null;
          syncState: "unsynced" | "syncing" | "synced" | "drifted";
          activeSyncJobId: string | null;
          createdAt: number;
          updatedAt: number;
          forkedFromConversationId: string | null;
          parentConversationId: string | null;
        }>,
        Name
      >;
      listForks: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        Array<{
          conversationId: string;
          title: string | null;
          preview: string | null;
          status: "active" | "archived" | "deleting";
          threadId: string | null;
          syncState: "unsynced" | "syncing" | "synced" | "drifted";
          activeSyncJobId: string | null;
          createdAt: number;
          updatedAt: number;
          forkedFromConversationId: string | null;
          parentConversationId: string | null;
        }>,
        Name
      >;
      listThreads: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string; includeArchived?: boolean },
        Array<{
          threadId: string;
          current: boolean;
          status: "active" | "archived";
          name: string | null;
          preview: string | null;
          cwd: string | null;
          forkedFromId: string | null;
          turnCount: number;
          messageCount: number;
          boundAt: number;
          updatedAt: number;
        }>,
        Name
      >;
      markSyncProgress: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          conversationId: string;
          syncState: "unsynced" | "syncing" | "synced" | "drifted";
          expectedSyncJobId?: string;
          lastSyncedCursor?: number;
        },
        {
          applied: boolean;
          conversation: {
            conversationId: string;
            title: string | null;
            preview: string | null;
            status: "active" | "archived" | "deleting";
            threadId: string | null;
            syncState: "unsynced" | "syncing" | "synced" | "drifted";
            activeSyncJobId: string | null;
            createdAt: number;
            updatedAt: number;
            forkedFromConversationId: string | null;
            parentConversationId: string | null;
          };
        },
        Name
      >;
      summary: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        | { found: false }
        | {
            found: true;
            conversation: {
              conversationId: string;
              title: string | null;
              preview: string | null;
              status: "active" | "archived" | "deleting";
              threadId: string | null;
              syncState: "unsynced" | "syncing" | "synced" | "drifted";
              activeSyncJobId: string | null;
              createdAt: number;
              updatedAt: number;
              forkedFromConversationId: string | null;
              parentConversationId: string | null;
            };
            turnCount: number;
            messageCount: number;
            pendingRequests: number;
            lastTurnStatus: string | null;
            totalTokens: number | null;
            host: {
              hostId: string;
              label: string;
              online: boolean;
              lastSeenAt: number;
            } | null;
          },
        Name
      >;
      syncOpenBinding: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          threadId: string;
          conversationId?: string;
          title?: string;
          hostSessionId?: string;
        },
        {
          conversation: {
            conversationId: string;
            title: string | null;
            preview: string | null;
            status: "active" | "archived" | "deleting";
            threadId: string | null;
            syncState: "unsynced" | "syncing" | "synced" | "drifted";
            activeSyncJobId: string | null;
            createdAt: number;
            updatedAt: number;
            forkedFromConversationId: string | null;
            parentConversationId: string | null;
          };
          created: boolean;
        },
        Name
      >;
      unarchive: FunctionReference<
        "mutation",
        "internal",
        { actor: string; conversationId: string },
        {
          conversationId: string;
          title: string | null;
          preview: string | null;
          status: "active" | "archived" | "deleting";
          threadId: string | null;
          syncState: "unsynced" | "syncing" | "synced" | "drifted";
          activeSyncJobId: string | null;
          createdAt: number;
          updatedAt: number;
          forkedFromConversationId: string | null;
          parentConversationId: string | null;
        },
        Name
      >;
      validateHostWiring: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId?: string },
        {
          ok: boolean;
          contractVersion: number;
          conversationFound: boolean | null;
        },
        Name
      >;
    };
    diagnostics: {
      getPing: FunctionReference<
        "query",
        "internal",
        { actor: string; nonce: string },
        null | { state: string; createdAt: number; ranAt: number | null },
        Name
      >;
      recordPing: FunctionReference<
        "mutation",
        "internal",
        { actor: string; nonce: string; delayMs: number },
        null,
        Name
      >;
    };
    health: {
      info: FunctionReference<
        "query",
        "internal",
        {},
        { component: string; contractVersion: number },
        Name
      >;
    };
    ingest: {
      ingestBatch: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          conversationId: string;
          streamId: string;
          seq: number;
          events: Array<
            | {
                type: "threadMeta";
                threadId: string;
                name?: string;
                preview?: string;
                cwd?: string;
                model?: string;
                forkedFromId?: string;
                parentThreadId?: string;
                at: number;
              }
            | {
                type: "threadJson";
                threadId: string;
                part: number;
                partCount: number;
                data: string;
                sha256: string;
                at: number;
              }
            | {
                type: "turnStarted";
                threadId: string;
                turnId: string;
                json?: string;
                at: number;
              }
            | {
                type: "turnCompleted";
                threadId: string;
                turnId: string;
                status: "inProgress" | "completed" | "interrupted" | "failed";
                error?: {
                  message: string;
                  codexErrorInfo?: string;
                  detailsJson?: string;
                };
                keepItems?: Array<string>;
                codexItems?: Array<string>;
                json?: string;
                digest?: string;
                at: number;
              }
            | {
                type: "item";
                threadId: string;
                turnId: string;
                itemId: string;
                phase: "started" | "updated" | "completed";
                itemType: string;
                part: number;
                partCount: number;
                data: string;
                at: number;
                view?: {
                  role: "user" | "assistant" | "tool" | "system";
                  status:
                    | "streaming"
                    | "completed"
                    | "interrupted"
                    | "failed"
                    | "declined";
                  summary?: string;
                  itemStatus?: string;
                  segmentCount: number;
                  textBytes: number;
                } | null;
              }
            | {
                type: "messageText";
                threadId: string;
                turnId: string;
                itemId: string;
                segment: number;
                text: string;
                at: number;
              }
            | {
                type: "messageDelta";
                threadId: string;
                turnId: string;
                itemId: string;
                firstDelta: number;
                deltaCount: number;
                text: string;
                at: number;
              }
            | {
                type: "turnPlan";
                threadId: string;
                turnId: string;
                explanation: string | null;
                steps: Array<{
                  step: string;
                  status: "pending" | "inProgress" | "completed";
                }>;
                truncated: boolean;
                at: number;
              }
            | {
                type: "serverRequest";
                threadId: string;
                turnId: string;
                itemId?: string;
                requestId: string;
                method: string;
                paramsJson: string;
                paramsClipped?: boolean;
                at: number;
              }
            | {
                type: "serverRequestResolved";
                threadId: string;
                turnId: string;
                requestId: string;
                at: number;
              }
            | {
                type: "tokenUsage";
                threadId: string;
                turnId: string;
                totalTokens: number;
                inputTokens: number;
                cachedInputTokens: number;
                outputTokens: number;
                reasoningOutputTokens: number;
                lastTotalTokens: number;
                contextWindow?: number;
                at: number;
              }
            | {
                type: "threadGoal";
                threadId: string;
                goal: {
                  objective: string;
                  status:
                    | "active"
                    | "paused"
                    | "blocked"
                    | "usageLimited"
                    | "budgetLimited"
                    | "complete";
                  tokenBudget: number | null;
                  tokensUsed: number;
                  timeUsedSeconds: number;
                  createdAt: number;
                  updatedAt: number;
                } | null;
                at: number;
              }
            | {
                type: "lifecycle";
                threadId?: string;
                turnId?: string;
                kind: string;
                message: string;
                detailsJson?: string;
                at: number;
              }
          >;
        },
        {
          status: "accepted" | "duplicate" | "gap";
          nextSeq: number;
          applied: number;
        },
        Name
      >;
    };
    messages: {
      getItemJson: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          threadId: string;
          turnId: string;
          itemId: string;
          fromPart?: number;
        },
        | { found: false }
        | {
            found: true;
            data: string;
            nextPart: number | null;
            partCount: number;
            complete: boolean;
            bytes: number;
          },
        Name
      >;
      getMessageSegments: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          threadId: string;
          turnId: string;
          itemId: string;
          fromSegment?: number;
        },
        | { found: false }
        | {
            found: true;
            fromSegment: number;
            text: string;
            nextSegment: number | null;
          },
        Name
      >;
      getMessageText: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          threadId: string;
          turnId: string;
          itemId: string;
          fromSegment?: number;
        },
        | { found: false }
        | {
            found: true;
            text: string;
            nextSegment: number | null;
            segmentCount: number;
            textBytes: number;
          },
        Name
      >;
      getTurn: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          threadId: string;
          turnId: string;
          afterOrdinal?: number;
        },
        | { found: false }
        | {
            found: true;
            turn: {
              threadId: string;
              turnId: string;
              ordinal: number;
              status: "inProgress" | "completed" | "interrupted" | "failed";
              startedAt: number;
              completedAt: number | null;
              error: {
                message: string;
                codexErrorInfo?: string;
                detailsJson?: string;
              } | null;
              itemCount: number;
              json: string | null;
              plan: {
                explanation: string | null;
                steps: Array<{
                  step: string;
                  status: "pending" | "inProgress" | "completed";
                }>;
                truncated: boolean;
                updatedAt: number;
              } | null;
            };
            items: Array<{
              itemId: string;
              ordinal: number;
              itemType: string;
              status: string | null;
              complete: boolean;
              liveOnly: boolean;
              bytes: number;
              partCount: number;
              json: string | null;
            }>;
            hasMore: boolean;
          },
        Name
      >;
      list: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          conversationId: string;
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            id?: number;
            endCursor?: string | null;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            threadId: string;
            turnId: string;
            itemId: string;
            turnOrdinal: number;
            itemOrdinal: number;
            role: "user" | "assistant" | "tool" | "system";
            kind: string;
            status:
              "streaming" | "completed" | "interrupted" | "failed" | "declined";
            text: string;
            summary: string | null;
            deltaCount: number;
            textBytes: number;
            textTruncated: boolean;
            createdAt: number;
            updatedAt: number;
          }>;
          isDone: boolean;
          continueCursor: string;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
      listStreaming: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        Array<{
          threadId: string;
          turnId: string;
          itemId: string;
          text: string;
          nextSegment: number | null;
        }>,
        Name
      >;
      listTurns: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          threadId: string;
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            id?: number;
            endCursor?: string | null;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            threadId: string;
            turnId: string;
            ordinal: number;
            status: "inProgress" | "completed" | "interrupted" | "failed";
            startedAt: number;
            completedAt: number | null;
            error: {
              message: string;
              codexErrorInfo?: string;
              detailsJson?: string;
            } | null;
            itemCount: number;
            json: string | null;
            plan: {
              explanation: string | null;
              steps: Array<{
                step: string;
                status: "pending" | "inProgress" | "completed";
              }>;
              truncated: boolean;
              updatedAt: number;
            } | null;
          }>;
          isDone: boolean;
          continueCursor: string;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
    };
    presence: {
      close: FunctionReference<
        "mutation",
        "internal",
        { actor: string; sessionId: string },
        {
          sessionId: string;
          hostId: string;
          label: string;
          state: "online" | "ended" | "lost";
          heartbeatMs: number;
          timeoutMs: number;
          lastSeenAt: number;
        },
        Name
      >;
      heartbeat: FunctionReference<
        "mutation",
        "internal",
        { actor: string; sessionId: string },
        {
          state: "online" | "ended" | "lost";
          revived: boolean;
          lastSeenAt: number;
        },
        Name
      >;
      open: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          hostId: string;
          label: string;
          version: string;
          heartbeatMs?: number;
          timeoutMs?: number;
        },
        {
          sessionId: string;
          hostId: string;
          label: string;
          state: "online" | "ended" | "lost";
          heartbeatMs: number;
          timeoutMs: number;
          lastSeenAt: number;
        },
        Name
      >;
    };
    requests: {
      get: FunctionReference<
        "query",
        "internal",
        { actor: string; threadId: string; turnId: string; requestId: string },
        null | {
          conversationId: string;
          threadId: string;
          turnId: string;
          itemId: string | null;
          requestId: string;
          method: string;
          paramsJson: string;
          paramsClipped: boolean;
          status: "pending" | "answered" | "expired";
          decisionJson: string | null;
          answeredBy: string | null;
          createdAt: number;
        },
        Name
      >;
      listPending: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        Array<{
          conversationId: string;
          threadId: string;
          turnId: string;
          itemId: string | null;
          requestId: string;
          method: string;
          paramsJson: string;
          paramsClipped: boolean;
          status: "pending" | "answered" | "expired";
          decisionJson: string | null;
          answeredBy: string | null;
          createdAt: number;
        }>,
        Name
      >;
      respond: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          threadId: string;
          turnId: string;
          requestId: string;
          decision?: "accept" | "acceptForSession" | "decline" | "cancel";
          responseJson?: string;
        },
        {
          conversationId: string;
          threadId: string;
          turnId: string;
          itemId: string | null;
          requestId: string;
          method: string;
          paramsJson: string;
          paramsClipped: boolean;
          status: "pending" | "answered" | "expired";
          decisionJson: string | null;
          answeredBy: string | null;
          createdAt: number;
        },
        Name
      >;
    };
    syncJobs: {
      cancel: FunctionReference<
        "mutation",
        "internal",
        { actor: string; jobId: string },
        {
          jobId: string;
          sourceId: string;
          conversationId: string;
          state:
            | "queued"
            | "running"
            | "retry_wait"
            | "verifying"
            | "succeeded"
            | "failed"
            | "cancelled";
          publicState: "syncing" | "synced" | "failed" | "cancelled";
          totalChunks: number;
          totalRecords: number;
          totalBytes: number;
          processedChunks: number;
          processedRecords: number;
          verifiedRecords: number;
          attempts: number;
          lastError: { code: string; message: string } | null;
          maxStepBytesRead: number;
          label: string;
          createdAt: number;
          updatedAt: number;
          startedAt: number | null;
          finishedAt: number | null;
        },
        Name
      >;
      get: FunctionReference<
        "query",
        "internal",
        { actor: string; jobId?: string; conversationId?: string },
        | { found: false }
        | {
            found: true;
            job: {
              jobId: string;
              sourceId: string;
              conversationId: string;
              state:
                | "queued"
                | "running"
                | "retry_wait"
                | "verifying"
                | "succeeded"
                | "failed"
                | "cancelled";
              publicState: "syncing" | "synced" | "failed" | "cancelled";
              totalChunks: number;
              totalRecords: number;
              totalBytes: number;
              processedChunks: number;
              processedRecords: number;
              verifiedRecords: number;
              attempts: number;
              lastError: { code: string; message: string } | null;
              maxStepBytesRead: number;
              label: string;
              createdAt: number;
              updatedAt: number;
              startedAt: number | null;
              finishedAt: number | null;
            };
          },
        Name
      >;
      list: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          conversationId?: string;
          state?:
            | "queued"
            | "running"
            | "retry_wait"
            | "verifying"
            | "succeeded"
            | "failed"
            | "cancelled";
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            id?: number;
            endCursor?: string | null;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            jobId: string;
            sourceId: string;
            conversationId: string;
            state:
              | "queued"
              | "running"
              | "retry_wait"
              | "verifying"
              | "succeeded"
              | "failed"
              | "cancelled";
            publicState: "syncing" | "synced" | "failed" | "cancelled";
            totalChunks: number;
            totalRecords: number;
            totalBytes: number;
            processedChunks: number;
            processedRecords: number;
            verifiedRecords: number;
            attempts: number;
            lastError: { code: string; message: string } | null;
            maxStepBytesRead: number;
            label: string;
            createdAt: number;
            updatedAt: number;
            startedAt: number | null;
            finishedAt: number | null;
          }>;
          isDone: boolean;
          continueCursor: string;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
    };
    syncSources: {
      append: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          sourceId: string;
          chunkIndex: number;
          payload: string;
          sha256: string;
          recordCount: number;
        },
        { appended: boolean; chunkIndex: number },
        Name
      >;
      list: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            id?: number;
            endCursor?: string | null;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            sourceId: string;
            conversationId: string;
            threadId: string;
            state: "collecting" | "sealed" | "failed";
            totalChunks: number | null;
            totalRecords: number | null;
            totalBytes: number | null;
            jobId: string | null;
            createdAt: number;
            sealedAt: number | null;
            expiresAt: number;
            error: { code: string; message: string } | null;
          }>;
          isDone: boolean;
          continueCursor: string;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
      listChunks: FunctionReference<
        "query",
        "internal",
        { actor: string; sourceId: string; afterIndex?: number },
        {
          chunks: Array<{
            chunkIndex: number;
            sha256: string;
            recordCount: number;
            byteCount: number;
          }>;
          isDone: boolean;
        },
        Name
      >;
      seal: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          sourceId: string;
          totalChunks: number;
          totalRecords: number;
          totalBytes: number;
          rootHash: string;
          base?: { keepTurns: number; prefixHash?: string };
        },
        { jobId: string; scheduled: boolean },
        Name
      >;
      start: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          threadId: string;
          idempotencyKey: string;
          conversationId?: string;
          ttlMs?: number;
        },
        {
          source: {
            sourceId: string;
            conversationId: string;
            threadId: string;
            state: "collecting" | "sealed" | "failed";
            heldChunks: number;
            jobId: string | null;
            expiresAt: number;
            error: { code: string; message: string } | null;
          };
          conversation: {
            conversationId: string;
            title: string | null;
            preview: string | null;
            status: "active" | "archived" | "deleting";
            threadId: string | null;
            syncState: "unsynced" | "syncing" | "synced" | "drifted";
            activeSyncJobId: string | null;
            createdAt: number;
            updatedAt: number;
            forkedFromConversationId: string | null;
            parentConversationId: string | null;
          };
          resumed: boolean;
        },
        Name
      >;
    };
    threadState: {
      getThreadJson: FunctionReference<
        "query",
        "internal",
        { actor: string; threadId: string; fromPart?: number },
        | { found: false }
        | {
            found: true;
            data: string;
            nextPart: number | null;
            partCount: number;
            complete: boolean;
            sha256: string | null;
          },
        Name
      >;
      getThreadSyncState: FunctionReference<
        "query",
        "internal",
        { actor: string; threadId: string; atTurns?: number },
        | { found: false }
        | {
            found: true;
            conversationId: string;
            turnCount: number;
            syncedTurns: number;
            prefixHash: string;
            jsonSha256: string | null;
            chainAt: string | null;
            goal: {
              objective: string;
              status:
                | "active"
                | "paused"
                | "blocked"
                | "usageLimited"
                | "budgetLimited"
                | "complete";
              tokenBudget: number | null;
              tokensUsed: number;
              timeUsedSeconds: number;
              createdAt: number;
              updatedAt: number;
            } | null;
          },
        Name
      >;
    };
    threads: {
      cancelScheduledDeletion: FunctionReference<
        "mutation",
        "internal",
        { actor: string; jobId: string },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
      deleteCascade: FunctionReference<
        "mutation",
        "internal",
        { actor: string; threadId: string; batchSize?: number },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
      forceRunScheduledDeletion: FunctionReference<
        "mutation",
        "internal",
        { actor: string; jobId: string },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
      getDeletionJobStatus: FunctionReference<
        "query",
        "internal",
        { actor: string; jobId: string },
        | { found: false }
        | {
            found: true;
            job: {
              jobId: string;
              target:
                | { kind: "thread"; threadId: string }
                | { kind: "turn"; threadId: string; turnId: string }
                | { kind: "actor" };
              phase:
                | "scheduled"
                | "running"
                | "retry_wait"
                | "completed"
                | "cancelled"
                | "failed";
              runAt: number;
              counts: Record<string, number>;
              deleted: number;
              createdAt: number;
              updatedAt: number;
              finishedAt: number | null;
              error: { code: string; message: string } | null;
            };
          },
        Name
      >;
      listDeletionJobs: FunctionReference<
        "query",
        "internal",
        {
          actor: string;
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            id?: number;
            endCursor?: string | null;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            jobId: string;
            target:
              | { kind: "thread"; threadId: string }
              | { kind: "turn"; threadId: string; turnId: string }
              | { kind: "actor" };
            phase:
              | "scheduled"
              | "running"
              | "retry_wait"
              | "completed"
              | "cancelled"
              | "failed";
            runAt: number;
            counts: Record<string, number>;
            deleted: number;
            createdAt: number;
            updatedAt: number;
            finishedAt: number | null;
            error: { code: string; message: string } | null;
          }>;
          isDone: boolean;
          continueCursor: string;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
      previewDeletion: FunctionReference<
        "query",
        "internal",
        { actor: string; threadId?: string; turnId?: string },
        { counts: Record<string, number>; truncated: boolean },
        Name
      >;
      purgeActorData: FunctionReference<
        "mutation",
        "internal",
        { actor: string; batchSize?: number },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
      scheduleDeleteCascade: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          threadId: string;
          delayMs?: number;
          batchSize?: number;
        },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
      schedulePurgeActorData: FunctionReference<
        "mutation",
        "internal",
        { actor: string; delayMs?: number; batchSize?: number },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
    };
    tokenUsage: {
      get: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string },
        {
          latest: {
            threadId: string;
            turnId: string;
            totalTokens: number;
            inputTokens: number;
            cachedInputTokens: number;
            outputTokens: number;
            reasoningOutputTokens: number;
            lastTotalTokens: number;
            contextWindow: number | null;
            updatedAt: number;
          } | null;
          recent: Array<{
            threadId: string;
            turnId: string;
            totalTokens: number;
            inputTokens: number;
            cachedInputTokens: number;
            outputTokens: number;
            reasoningOutputTokens: number;
            lastTotalTokens: number;
            contextWindow: number | null;
            updatedAt: number;
          }>;
        },
        Name
      >;
    };
    turns: {
      deleteCascade: FunctionReference<
        "mutation",
        "internal",
        { actor: string; threadId: string; turnId: string; batchSize?: number },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
      scheduleDeleteCascade: FunctionReference<
        "mutation",
        "internal",
        {
          actor: string;
          threadId: string;
          turnId: string;
          delayMs?: number;
          batchSize?: number;
        },
        {
          jobId: string;
          target:
            | { kind: "thread"; threadId: string }
            | { kind: "turn"; threadId: string; turnId: string }
            | { kind: "actor" };
          phase:
            | "scheduled"
            | "running"
            | "retry_wait"
            | "completed"
            | "cancelled"
            | "failed";
          runAt: number;
          counts: Record<string, number>;
          deleted: number;
          createdAt: number;
          updatedAt: number;
          finishedAt: number | null;
          error: { code: string; message: string } | null;
        },
        Name
      >;
    };
    views: {
      conversationView: FunctionReference<
        "query",
        "internal",
        { actor: string; conversationId: string; numMessages?: number },
        | { found: false }
        | {
            found: true;
            conversation: {
              conversationId: string;
              title: string | null;
              preview: string | null;
              status: "active" | "archived" | "deleting";
              threadId: string | null;
              syncState: "unsynced" | "syncing" | "synced" | "drifted";
              activeSyncJobId: string | null;
              createdAt: number;
              updatedAt: number;
              forkedFromConversationId: string | null;
              parentConversationId: string | null;
            };
            messages: Array<{
              threadId: string;
              turnId: string;
              itemId: string;
              turnOrdinal: number;
              itemOrdinal: number;
              role: "user" | "assistant" | "tool" | "system";
              kind: string;
              status:
                | "streaming"
                | "completed"
                | "interrupted"
                | "failed"
                | "declined";
              text: string;
              summary: string | null;
              deltaCount: number;
              textBytes: number;
              textTruncated: boolean;
              createdAt: number;
              updatedAt: number;
            }>;
            hasOlderMessages: boolean;
            pendingRequests: Array<{
              conversationId: string;
              threadId: string;
              turnId: string;
              itemId: string | null;
              requestId: string;
              method: string;
              paramsJson: string;
              paramsClipped: boolean;
              status: "pending" | "answered" | "expired";
              decisionJson: string | null;
              answeredBy: string | null;
              createdAt: number;
            }>;
            latestJob: {
              jobId: string;
              sourceId: string;
              conversationId: string;
              state:
                | "queued"
                | "running"
                | "retry_wait"
                | "verifying"
                | "succeeded"
                | "failed"
                | "cancelled";
              publicState: "syncing" | "synced" | "failed" | "cancelled";
              totalChunks: number;
              totalRecords: number;
              totalBytes: number;
              processedChunks: number;
              processedRecords: number;
              verifiedRecords: number;
              attempts: number;
              lastError: { code: string; message: string } | null;
              maxStepBytesRead: number;
              label: string;
              createdAt: number;
              updatedAt: number;
              startedAt: number | null;
              finishedAt: number | null;
            } | null;
            host: {
              hostId: string;
              label: string;
              online: boolean;
              lastSeenAt: number;
            } | null;
            plan: {
              turnId: string;
              explanation: string | null;
              steps: Array<{
                step: string;
                status: "pending" | "inProgress" | "completed";
              }>;
              truncated: boolean;
              updatedAt: number;
            } | null;
            notices: Array<{
              kind: string;
              message: string;
              turnId: string | null;
              detailsJson: string | null;
              at: number;
            }>;
            goal: {
              objective: string;
              status:
                | "active"
                | "paused"
                | "blocked"
                | "usageLimited"
                | "budgetLimited"
                | "complete";
              tokenBudget: number | null;
              tokensUsed: number;
              timeUsedSeconds: number;
              createdAt: number;
              updatedAt: number;
            } | null;
          },
        Name
      >;
    };
  };
