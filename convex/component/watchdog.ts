/**
 * Steps of durable jobs (sync jobs, deletion jobs) are scheduled with a watchdog. A step that fails as a whole
 * (its transaction rolled back, e.g. by a Convex limit on the step itself) records nothing and schedules nothing;
 * its watchdog, scheduled by the transaction that scheduled the step, finds the job's lease unmoved and retries.
 *
 * Convex's scheduler can lag under load: a step that has not run yet is late, not lost. The watchdog reads the
 * step's own scheduled-function document (`ctx.db.system.get`) and, while it is pending or running, only looks
 * again later: no attempt is spent and the step keeps its size.
 */
import type { DefaultFunctionArgs, FunctionReference } from "convex/server";
import { v } from "convex/values";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";

/** How long after its time a step may take to move the job's lease before its watchdog looks at it. */
export const STEP_WATCHDOG_MS = 60_000;

/** The watchdog's argument naming its step (optional: watchdogs scheduled by 0.1.0 do not carry it). */
export const vStepId = v.optional(v.id("_scheduled_functions"));

type Step<Args extends DefaultFunctionArgs> = FunctionReference<"mutation", "internal", Args>;
type Watch<Args extends DefaultFunctionArgs> = FunctionReference<"mutation", "internal", Args & { stepId?: Id<"_scheduled_functions"> }>;

/** Schedule `step(args)` at `at`, and `watch({...args, stepId})` STEP_WATCHDOG_MS later. */
export async function scheduleWatched<Args extends DefaultFunctionArgs>(ctx: MutationCtx, step: Step<Args>, watch: Watch<Args>, args: Args, at: number) {
  const stepId = await ctx.scheduler.runAt(at, step, args as never);
  await ctx.scheduler.runAt(at + STEP_WATCHDOG_MS, watch, { ...args, stepId } as never);
}

/**
 * Whether the step is `late` (Convex has not run it yet, or it is running: look again later) or `lost` (it failed,
 * was cancelled, or is unknown: its job must retry it).
 */
export async function stepFate(ctx: MutationCtx, stepId: Id<"_scheduled_functions"> | undefined): Promise<"late" | "lost"> {
  if (stepId === undefined) return "lost";
  const fn = await ctx.db.system.get("_scheduled_functions", stepId);
  return fn !== null && (fn.state.kind === "pending" || fn.state.kind === "inProgress") ? "late" : "lost";
}

/** Look at a late step again STEP_WATCHDOG_MS from now. */
export async function watchAgain<Args extends DefaultFunctionArgs>(ctx: MutationCtx, watch: Watch<Args>, args: Args & { stepId?: Id<"_scheduled_functions"> }) {
  await ctx.scheduler.runAfter(STEP_WATCHDOG_MS, watch, args as never);
}
