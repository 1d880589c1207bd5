/**
 * What each call cost against Convex's transaction limits: bytes and documents read and written, index ranges. The
 * numbers are convex-test's own transaction metrics (the ones it enforces the limits with), taken from the outermost
 * transaction of a query or mutation when it ends, nested component calls included. Operators read the worst call
 * per function with `GET /api/metrics` (admin) and start over with `POST /api/metrics/reset`; the worst-case suite
 * (tools/bench/worst_case.py) asserts every endpoint stays within half of every limit.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { __TransactionMetricsTracker } from "convex-test";

export type CallMetrics = {
  bytesRead: number;
  documentsRead: number;
  bytesWritten: number;
  documentsWritten: number;
  databaseQueries: number;
};

const KEYS: Array<keyof CallMetrics> = ["bytesRead", "documentsRead", "bytesWritten", "documentsWritten", "databaseQueries"];
const MiB = 1024 * 1024;

/** The limits enforced: Convex's current ones, or (`--read-limits legacy`) the 8 MiB / 16,384-document reads of older builds. */
export function transactionLimits(kind: "convex" | "legacy"): { bytesRead: number; documentsRead: number } {
  return kind === "legacy" ? { bytesRead: 8 * MiB, documentsRead: 16_384 } : { bytesRead: 16 * MiB, documentsRead: 32_000 };
}

// One call's slot. A scheduled function inherits the async context it was scheduled from, so a slot is closed when
// its call returns and later transactions in that context are not counted as the call's.
type Slot = { metrics: CallMetrics | null; closed: boolean };
const slots = new AsyncLocalStorage<Slot>();
let installed = false;

/** Record the outermost layer's metrics when a transaction ends (committed or rolled back). Once per process. */
export function recordCallMetrics() {
  if (installed) return;
  installed = true;
  const P = __TransactionMetricsTracker.prototype;
  for (const method of ["commit", "rollback"] as const) {
    const inner = P[method];
    P[method] = function (this: { _layers: Array<{ metrics: CallMetrics }> }) {
      const slot = slots.getStore();
      if (slot !== undefined && !slot.closed && this._layers.length === 1) {
        const m = this._layers[0].metrics;
        slot.metrics = Object.fromEntries(KEYS.map((k) => [k, m[k]])) as CallMetrics;
      }
      return inner.call(this);
    };
  }
}

/** Run one call and return its result with the metrics of its transaction (null for an action). */
export async function withCallMetrics<T>(call: () => Promise<T>): Promise<{ result: T; metrics: CallMetrics | null }> {
  const slot: Slot = { metrics: null, closed: false };
  try {
    const result = await slots.run(slot, call);
    return { result, metrics: slot.metrics };
  } finally {
    slot.closed = true;
  }
}

/** Per function: how many calls, the most each metric reached in one call, and the sum over all calls. */
export class MetricsByPath {
  private byPath = new Map<string, { calls: number; max: CallMetrics; total: CallMetrics }>();

  add(path: string, m: CallMetrics) {
    const cur = this.byPath.get(path);
    if (cur === undefined) this.byPath.set(path, { calls: 1, max: { ...m }, total: { ...m } });
    else {
      cur.calls += 1;
      for (const k of KEYS) {
        cur.max[k] = Math.max(cur.max[k], m[k]);
        cur.total[k] += m[k];
      }
    }
  }

  reset() {
    this.byPath.clear();
  }

  toJSON() {
    return Object.fromEntries(this.byPath);
  }
}
