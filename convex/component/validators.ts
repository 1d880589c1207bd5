/**
 * Every shape the component's functions take or return, defined once as validators; types are inferred.
 * Tables reuse these in ./tables; functions reuse them in args/returns.
 */
import { v, type Infer } from "convex/values";
import { MAX_PAGE_SIZE } from "./limits.js";

/** Who owns a row: the app's resolved actor (an auth `tokenIdentifier`, or `anon:<deviceId>` when enabled). */
export const vActor = v.string();

/**
 * A replacing sync job's marks on a thread's rows (replace.ts): `stagedBy` on the rows it writes, `retiredBy` on the
 * rows it replaces. Readers hide a staged row until the job's swap and a retired one from it on.
 */
export const replaceTags = { stagedBy: v.optional(v.id("sync_jobs")), retiredBy: v.optional(v.id("sync_jobs")) };

export const vSyncState = v.union(v.literal("unsynced"), v.literal("syncing"), v.literal("synced"), v.literal("drifted"));
export type SyncState = Infer<typeof vSyncState>;

export const vTurnStatus = v.union(v.literal("inProgress"), v.literal("completed"), v.literal("interrupted"), v.literal("failed"));
export type TurnStatus = Infer<typeof vTurnStatus>;

export const vMessageStatus = v.union(v.literal("streaming"), v.literal("completed"), v.literal("interrupted"), v.literal("failed"), v.literal("declined"));
export type MessageStatus = Infer<typeof vMessageStatus>;

/** The fields a message row and the message a read returns share (one place: the table and `vMessage`). */
export const messageFields = {
  threadId: v.string(),
  turnId: v.string(),
  itemId: v.string(),
  turnOrdinal: v.number(),
  itemOrdinal: v.number(),
  role: v.union(v.literal("user"), v.literal("assistant"), v.literal("tool"), v.literal("system")),
  kind: v.string(), // the Codex item type
  status: vMessageStatus,
};

/** Token counts as Codex reports them (a tokenUsage event, its row, and what getTokenUsage returns). */
export const tokenCounts = {
  totalTokens: v.number(),
  inputTokens: v.number(),
  cachedInputTokens: v.number(),
  outputTokens: v.number(),
  reasoningOutputTokens: v.number(),
  lastTotalTokens: v.number(),
};

/** An error as Codex reported it: kept structured, never flattened to "[object Object]" (agent#320). */
export const vTurnError = v.object({
  message: v.string(),
  codexErrorInfo: v.optional(v.string()),
  detailsJson: v.optional(v.string()),
});
export type TurnError = Infer<typeof vTurnError>;

/** A turn's plan as the model last set it (Codex's `turn/plan/updated`): steps in order, each with its status.
 * `truncated`: the host clipped it to PLAN_MAX_STEPS steps / PLAN_STEP_MAX_CHARS / PLAN_EXPLANATION_MAX_CHARS. */
export const vPlanStepStatus = v.union(v.literal("pending"), v.literal("inProgress"), v.literal("completed"));
export const vTurnPlan = v.object({
  explanation: v.union(v.string(), v.null()),
  steps: v.array(v.object({ step: v.string(), status: vPlanStepStatus })),
  truncated: v.boolean(),
  updatedAt: v.number(),
});
export type TurnPlan = Infer<typeof vTurnPlan>;

/**
 * A thread's goal as Codex keeps it (thread/goal/updated): an objective Codex works toward on its own, turn after turn,
 * until it is complete (or paused, blocked, or out of budget). Times as Codex gives them: Unix seconds.
 */
export const vGoalStatus = v.union(
  v.literal("active"), v.literal("paused"), v.literal("blocked"), v.literal("usageLimited"), v.literal("budgetLimited"),
  v.literal("complete"),
);
export const vThreadGoal = v.object({
  objective: v.string(), // ≤ GOAL_OBJECTIVE_MAX_CHARS
  status: vGoalStatus,
  tokenBudget: v.union(v.number(), v.null()),
  tokensUsed: v.number(),
  timeUsedSeconds: v.number(),
  createdAt: v.number(),
  updatedAt: v.number(),
});
export type ThreadGoal = Infer<typeof vThreadGoal>;

export const vRequestStatus = v.union(v.literal("pending"), v.literal("answered"), v.literal("expired"));

export const vPaginationOpts = v.object({
  numItems: v.number(),
  cursor: v.union(v.string(), v.null()),
  id: v.optional(v.number()),
  endCursor: v.optional(v.union(v.string(), v.null())),
  maximumRowsRead: v.optional(v.number()),
  maximumBytesRead: v.optional(v.number()),
});

export function paginated<T extends ReturnType<typeof v.object>>(item: T) {
  return v.object({
    page: v.array(item),
    isDone: v.boolean(),
    continueCursor: v.string(),
    splitCursor: v.optional(v.union(v.string(), v.null())),
    pageStatus: v.optional(v.union(v.literal("SplitRecommended"), v.literal("SplitRequired"), v.null())),
  });
}


/** The page size to read: what the caller asked, within 1..MAX_PAGE_SIZE. */
export function pageSize(opts: { numItems: number }): number {
  return Math.max(1, Math.min(opts.numItems, MAX_PAGE_SIZE));
}
