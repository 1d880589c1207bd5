/**
 * Convex's per-function limits that convex-test leaves out: 1 s of user code per query or mutation (time spent in
 * database calls is not counted), and 16 MiB of arguments and of return value. Each registered query and mutation
 * handler is wrapped, so a broken limit throws inside the function's transaction and nothing it wrote is kept.
 * A handler that never yields cannot be interrupted on this single thread: it is stopped at its next database call,
 * or refused when it returns.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { getConvexSize, type Value } from "convex/values";
import { log } from "./log.js";

export const USER_CODE_LIMIT_MS = 1000;
export const MAX_ARGUMENTS_BYTES = 16 * 1024 * 1024;
export const MAX_RETURN_BYTES = 16 * 1024 * 1024;
/** Functions that spend more than this much of their budget are logged (`function.slow`). */
const SLOW_MS = USER_CODE_LIMIT_MS / 2;

/** The database calls whose time is not user code. */
const DB_SYSCALLS = new Set([
  "1.0/get", "1.0/queryStream", "1.0/queryStreamNext", "1.0/queryPage", "1.0/count", "1.0/insert", "1.0/shallowMerge",
  "1.0/replace", "1.0/remove", "1.0/schedule", "1.0/cancel_job",
]);

/**
 * One top-level query or mutation's spending. Async context outlives the function (a scheduled function's timer
 * inherits the context it was scheduled from), so a finished budget is ignored, never continued.
 */
type Budget = { path: string; started: number; inDatabase: number; calls: number; done: boolean };
const budgets = new AsyncLocalStorage<Budget>();

function userMs(b: Budget): number {
  return performance.now() - b.started - b.inDatabase;
}

function timedOut(b: Budget): Error {
  log("function.timed_out", { path: b.path, userMs: Math.round(userMs(b)), databaseMs: Math.round(b.inDatabase), databaseCalls: b.calls });
  return new Error(`Function execution timed out (maximum duration: ${USER_CODE_LIMIT_MS / 1000}s)`);
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(2);
}

/** Time a syscall of the running function: database calls are not user code; a spent budget stops the function. */
export function meterSyscall<T>(op: string, call: () => T): T {
  const b = budgets.getStore();
  if (b === undefined || b.done || !DB_SYSCALLS.has(op)) return call();
  if (userMs(b) > USER_CODE_LIMIT_MS) throw timedOut(b);
  b.calls += 1;
  const t0 = performance.now();
  const done = () => (b.inDatabase += performance.now() - t0);
  const r = call();
  if (r instanceof Promise) return r.finally(done) as T;
  done();
  return r;
}

type Handler = (ctx: unknown, args: Record<string, Value>) => Promise<Value | undefined> | Value | undefined;
const WRAPPED = Symbol("codexConvexLimited");

function limited(handler: Handler, path: string): Handler {
  const wrapped: Handler = async (ctx, args) => {
    const argBytes = getConvexSize(args as Value);
    if (argBytes > MAX_ARGUMENTS_BYTES) {
      throw new Error(`Function arguments are too large (${mib(argBytes)} MiB > maximum size 16 MiB)`);
    }
    const outer = budgets.getStore();
    const nested = outer !== undefined && !outer.done;
    const run = async () => {
      const result = await handler(ctx, args);
      const b = budgets.getStore()!;
      const spent = userMs(b);
      if (spent > USER_CODE_LIMIT_MS) throw timedOut(b);
      if (!nested && spent > SLOW_MS) log("function.slow", { path, userMs: Math.round(spent), databaseMs: Math.round(b.inDatabase), databaseCalls: b.calls });
      const size = result === undefined ? 0 : getConvexSize(result);
      if (size > MAX_RETURN_BYTES) throw new Error(`Function return value is too large (${mib(size)} MiB > maximum size 16 MiB)`);
      return result;
    };
    // A nested call (ctx.runQuery / ctx.runMutation, a component) spends the budget of the outermost function.
    if (nested) return run();
    const budget: Budget = { path, started: performance.now(), inDatabase: 0, calls: 0, done: false };
    return budgets.run(budget, async () => {
      try {
        return await run();
      } finally {
        budget.done = true;
      }
    });
  };
  (wrapped as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  return wrapped;
}

/** Wrap the handlers of a module's queries and mutations (actions have 10 minutes and no return-size check here). */
export function limitModule(mod: Record<string, unknown>, module: string): Record<string, unknown> {
  for (const [name, fn] of Object.entries(mod)) {
    if (typeof fn !== "function") continue;
    const f = fn as unknown as { isQuery?: boolean; isMutation?: boolean; _handler?: Handler };
    if (!(f.isQuery || f.isMutation) || typeof f._handler !== "function") continue;
    if ((f._handler as unknown as Record<symbol, boolean>)[WRAPPED]) continue;
    f._handler = limited(f._handler, `${module}:${name}`);
  }
  return mod;
}
