/**
 * Steps of durable jobs (sync jobs, deletion jobs) are scheduled with a watchdog. A step that fails as a whole
 * (its transaction rolled back, e.g. by a Convex limit on the step itself) records nothing and schedules nothing;
 * its watchdog, scheduled by the transaction that scheduled the step, finds the job's lease unmoved and retries.
 */
import type { DefaultFunctionArgs, FunctionReference } from "convex/server";
import type { MutationCtx } from "./_generated/server.js";

/** How long after its time a step may take to move the job's lease before its watchdog concludes it was lost. */
export const STEP_WATCHDOG_MS = 60_000;

type Step<Args extends DefaultFunctionArgs> = FunctionReference<"mutation", "internal", Args>;

/** Schedule `step(args)` at `at`, and `watch(args)` STEP_WATCHDOG_MS later. */
export async function scheduleWatched<Args extends DefaultFunctionArgs>(ctx: MutationCtx, step: Step<Args>, watch: Step<Args>, args: Args, at: number) {
  await ctx.scheduler.runAt(at, step, args as never);
  await ctx.scheduler.runAt(at + STEP_WATCHDOG_MS, watch, args as never);
}
