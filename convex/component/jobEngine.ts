/**
 * THE durable job engine, for sync jobs and deletion jobs alike: one state union and transition table, one lease
 * (fencing token) per scheduled step, one retry policy (attempts with jittered exponential backoff), one watchdog
 * per step (watchdog.ts), one cancel. A job kind (sync, deletion) says how its rows store the state, what a step
 * does, and how to make a step smaller after one was lost.
 *
 * State machine (drawn in README.md, checked by jobEngine.test.ts):
 *   queued → running | retry_wait | succeeded | failed | cancelled
 *   running → running | retry_wait | succeeded | failed | cancelled
 *   retry_wait → running | retry_wait | succeeded | failed | cancelled
 *   succeeded, failed, cancelled: terminal, never move again.
 * A step that throws a coded error (bad data) fails the job at once with that code: retrying cannot help. Any
 * other failure — a thrown error, or a step its watchdog finds lost (rolled back as a whole, e.g. by a Convex
 * limit) — is retried after a backoff, up to RETRY.maxAttempts attempts, then fails the job. A step that went over
 * a Convex limit (thrown, or lost) is retried smaller: at the same size it would only fail again (workflow#241).
 */
import type { FunctionReference } from "convex/server";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import type { ErrorCode } from "./errorCodes.js";
import { coded, isCodedError } from "./errors.js";
import { scheduleWatched, STEP_WATCHDOG_MS, stepFate, watchAgain } from "./watchdog.js";

export const STATES = ["queued", "running", "retry_wait", "succeeded", "failed", "cancelled"] as const;
export type State = (typeof STATES)[number];

export const ARROWS: Record<State, readonly State[]> = {
  queued: ["running", "retry_wait", "succeeded", "failed", "cancelled"],
  running: ["running", "retry_wait", "succeeded", "failed", "cancelled"],
  retry_wait: ["running", "retry_wait", "succeeded", "failed", "cancelled"],
  succeeded: [],
  failed: [],
  cancelled: [],
};
export const TERMINAL: ReadonlySet<State> = new Set(["succeeded", "failed", "cancelled"]);

/** One retry policy: attempts of a step before the job fails, and the backoff between them ("equal jitter"). */
export const RETRY = { maxAttempts: 8, baseMs: 500, maxMs: 30_000 } as const;

export function backoffMs(attempts: number): number {
  const exp = Math.min(RETRY.maxMs, RETRY.baseMs * 2 ** (attempts - 1));
  return Math.round(exp / 2 + Math.random() * (exp / 2));
}

export type JobTable = "sync_jobs" | "deletion_jobs";
type StepArgs<T extends JobTable> = { jobId: Id<T>; lease: number };
type Patch<T extends JobTable> = Partial<Doc<T>>;

/** What a kind of job tells the engine. */
export type JobKind<T extends JobTable> = {
  table: T;
  /** The engine state of a stored job. */
  stateOf: (job: Doc<T>) => State;
  /** The stored fields that say `to` (with the step's `patch` about to be written). */
  store: (job: Doc<T>, to: State, patch: Patch<T>) => Patch<T>;
  /** The field a job keeps its latest coded error in. */
  errorField: "lastError" | "error";
  step: FunctionReference<"mutation", "internal", StepArgs<T>>;
  watch: FunctionReference<"mutation", "internal", StepArgs<T> & { stepId?: Id<"_scheduled_functions"> }>;
  codes: { retry: ErrorCode; exhausted: ErrorCode };
  /** After a lost step: the patch making steps smaller, and words for it. */
  smaller: (job: Doc<T>) => { patch: Patch<T>; what: string };
  /** Called when the job ends failed or cancelled (e.g. mark the conversation drifted). */
  onStopped?: (ctx: MutationCtx, job: Doc<T>) => Promise<void>;
};

/** Whether a scheduled step must do nothing: the job is gone, finished, or the step carries an old lease. */
export function fencedOff<T extends JobTable>(kind: JobKind<T>, job: Doc<T> | null, lease: number): job is null {
  return job === null || job.lease !== lease || TERMINAL.has(kind.stateOf(job));
}

/** Move a job along an arrow; returns false (and writes nothing) when the arrow does not exist. */
export async function move<T extends JobTable>(ctx: MutationCtx, kind: JobKind<T>, job: Doc<T>, to: State,
  patch: Patch<T> = {}): Promise<boolean> {
  if (!ARROWS[kind.stateOf(job)].includes(to)) return false;
  const now = Date.now();
  await ctx.db.patch(kind.table as JobTable, job._id as Id<JobTable>, {
    ...patch, ...kind.store(job, to, patch), updatedAt: now, ...(TERMINAL.has(to) ? { finishedAt: now } : {}),
  } as never);
  if (to === "failed" || to === "cancelled") await kind.onStopped?.(ctx, job);
  return true;
}

/** Schedule step `lease` of a job at `at`, with its watchdog. */
export async function scheduleStep<T extends JobTable>(ctx: MutationCtx, kind: JobKind<T>, jobId: Id<T>, lease: number,
  at: number): Promise<void> {
  await scheduleWatched(ctx, kind.step, kind.watch, { jobId, lease } as StepArgs<T>, at);
}

/** Convex's transaction-limit errors ("… This is a Convex limit", "Too many …", "… too large …"). */
export function isLimitError(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return /Convex limit|too many|too large|too much/i.test(message);
}

/**
 * A step failed: a coded error fails the job with its code; anything else is retried (smaller after a limit
 * error), then fails the job.
 */
export async function stepFailed<T extends JobTable>(ctx: MutationCtx, kind: JobKind<T>, job: Doc<T>, e: unknown,
  patch: Patch<T> = {}): Promise<void> {
  const lease = job.lease + 1;
  if (isCodedError(e)) {
    await move(ctx, kind, job, "failed", { lease, [kind.errorField]: { code: e.data.code, message: e.data.message } } as unknown as Patch<T>);
    return;
  }
  const attempts = (job.attempts ?? 0) + 1;
  let message = e instanceof Error ? e.message : String(e);
  if (isLimitError(e) && Object.keys(patch).length === 0) {
    const smaller = kind.smaller(job);
    patch = smaller.patch;
    message = `${message} (retrying with ${smaller.what})`;
  }
  if (attempts >= RETRY.maxAttempts) {
    await move(ctx, kind, job, "failed", { ...patch, lease, attempts, [kind.errorField]: coded(kind.codes.exhausted, message) } as Patch<T>);
    return;
  }
  const retryAt = Date.now() + backoffMs(attempts);
  const retry = { ...patch, lease, attempts, retryAt, [kind.errorField]: coded(kind.codes.retry, message) } as Patch<T>;
  if (await move(ctx, kind, job, "retry_wait", retry)) await scheduleStep(ctx, kind, job._id, lease, retryAt);
}

/**
 * A step's watchdog: a step still pending or running is late (look again later, spend nothing); one whose lease
 * has not moved otherwise was lost as a whole (its transaction rolled back, e.g. by a Convex limit), so nothing
 * recorded it or scheduled a retry: retry it as a failed attempt, smaller (at the same size it would fail again).
 */
export async function watch<T extends JobTable>(ctx: MutationCtx, kind: JobKind<T>,
  args: StepArgs<T> & { stepId?: Id<"_scheduled_functions"> }): Promise<null> {
  const job = (await ctx.db.get(kind.table as JobTable, args.jobId as Id<JobTable>)) as Doc<T> | null;
  if (fencedOff(kind, job, args.lease)) return null;
  if ((await stepFate(ctx, args.stepId)) === "late") {
    await watchAgain(ctx, kind.watch, args);
    return null;
  }
  const { patch, what } = kind.smaller(job);
  const message = `step ${args.lease} did not finish within ${STEP_WATCHDOG_MS / 1000} s (rolled back as a whole, e.g. by a Convex limit); retrying with ${what}`;
  await stepFailed(ctx, kind, job, new Error(message), patch);
  return null;
}

/** Cancel a job that has not finished (fences off its pending step). Returns false for a finished job. */
export async function cancel<T extends JobTable>(ctx: MutationCtx, kind: JobKind<T>, job: Doc<T>, code: ErrorCode,
  message: string): Promise<boolean> {
  return await move(ctx, kind, job, "cancelled", { lease: job.lease + 1, [kind.errorField]: coded(code, message) } as unknown as Patch<T>);
}

/** Run a waiting job's next step at `at` instead (a new lease fences off the one already scheduled). */
export async function reschedule<T extends JobTable>(ctx: MutationCtx, kind: JobKind<T>, job: Doc<T>, at: number,
  patch: Patch<T> = {}): Promise<void> {
  await ctx.db.patch(kind.table as JobTable, job._id as Id<JobTable>, { ...patch, lease: job.lease + 1, updatedAt: Date.now() } as never);
  await scheduleStep(ctx, kind, job._id, job.lease + 1, at);
}

export type { Doc };
