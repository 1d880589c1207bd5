/**
 * Client calls before background work. Storage is synchronous (node:sqlite) and convex-test runs one transaction
 * at a time, so a scheduled job step runs start to finish without yielding to the event loop; with several steps
 * due at once (16 importers, a dozen deletions), the timers phase ran them all back to back while clients' requests
 * sat unread in the socket. Here a background transaction (a scheduled function's) starts only from the event
 * loop's check phase, at most one per loop iteration, and never while a client call waits for the lock: between two
 * background transactions the loop always polls I/O, so a client's request waits for at most the one background
 * transaction running when it arrived. Nor does one start while a commit waits for its fsync (store.ts: durable
 * answers): a client's answer waiting for the disk would otherwise wait behind the whole step, as the answers of an
 * earlier try at group commit did (tools/bench/RESULTS.md, session 14). Client calls (HTTP or the sync protocol:
 * `asClientCall`) take the lock as convex-test does.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { __TransactionManager } from "convex-test";

type Mark = { live: boolean };
const clientCall = new AsyncLocalStorage<Mark>();
let waiting = 0; // client calls waiting for the lock
let turnTaken = false; // a background transaction started in this iteration
/** Transactions counted by class, and the most background transactions started in one event-loop iteration. */
export const fairness = { clientCalls: 0, backgroundTransactions: 0, maxBackgroundPerTurn: 0, maxBackgroundMs: 0 };
let inThisTurn = 0;

/** Run `f` as a client call. Functions it schedules inherit the async context but not the priority. */
export function asClientCall<T>(f: () => Promise<T>): Promise<T> {
  const mark: Mark = { live: true };
  return clientCall.run(mark, async () => {
    try {
      return await f();
    } finally {
      mark.live = false;
    }
  });
}

/** Reset the counters (POST /api/metrics/reset). */
export function resetFairness(): void {
  fairness.clientCalls = 0;
  fairness.backgroundTransactions = 0;
  fairness.maxBackgroundPerTurn = 0;
  fairness.maxBackgroundMs = 0;
}

const checkPhase = () => new Promise<void>((r) => setImmediate(r));

type Manager = { _waitOnCurrentFunction: Promise<void> | null; begin(isNested: boolean, limits: unknown): Promise<void> };

const lockOf = (m: Manager): Promise<void> | null => m._waitOnCurrentFunction;

/** Undefined when every commit so far is on disk, else a promise of it (set by installFairness). */
let pendingDisk: () => Promise<void> | undefined = () => undefined;

/**
 * Patch convex-test's TransactionManager (its prototype, once) with the two classes of transactions; background ones
 * wait for `whenDurable` too.
 */
export function installFairness(whenDurable: () => Promise<void> | undefined): void {
  pendingDisk = whenDurable;
  const proto = __TransactionManager.prototype as Manager & { __fair?: true };
  if (proto.__fair) return;
  const begin = proto.begin;
  proto.begin = async function (this: Manager, isNested: boolean, limits: unknown): Promise<void> {
    if (isNested) return await begin.call(this, isNested, limits);
    if (clientCall.getStore()?.live) {
      waiting += 1;
      try {
        await begin.call(this, isNested, limits);
        fairness.clientCalls += 1;
        return;
      } finally {
        waiting -= 1;
      }
    }
    // Background: from the check phase (after the loop polled I/O), one per iteration, the lock free, no client
    // waiting for it and no commit waiting for the disk (answers waiting for it leave first); then begin takes the
    // lock before anything else runs (its checks and its claim are synchronous).
    for (;;) {
      await checkPhase();
      const disk = pendingDisk();
      if (disk !== undefined) await disk;
      else if (!(turnTaken || waiting > 0 || this._waitOnCurrentFunction !== null)) break;
    }
    turnTaken = true;
    setImmediate(() => {
      turnTaken = false;
      inThisTurn = 0;
    });
    inThisTurn += 1;
    fairness.maxBackgroundPerTurn = Math.max(fairness.maxBackgroundPerTurn, inThisTurn);
    fairness.backgroundTransactions += 1;
    await begin.call(this, isNested, limits);
    const started = performance.now(); // how long it holds the lock: the most a client call waits for it
    void lockOf(this)?.then(() => {
      fairness.maxBackgroundMs = Math.max(fairness.maxBackgroundMs, Math.round(performance.now() - started));
    });
  };
  proto.__fair = true;
}
