/**
 * The engine seam: resolve a public function by path, run it with an identity, and report writes. The protocol
 * layers (http.ts, syncProtocol.ts) only see this interface, so part 2's durable engine swaps in underneath.
 */
import type { V } from "./validatorShortcuts.js";
import type { MetricsByPath } from "./callMetrics.js";
import type { ReadSet, WriteSet } from "./readSet.js";
import type { Receipt } from "./store.js";
import type { JSONValue } from "./values.js";

export type Kind = "query" | "mutation" | "action";

export type Identity = {
  subject: string;
  issuer: string;
  tokenIdentifier: string;
  [claim: string]: unknown;
};

/** Who is calling: nobody, a verified user, or an operator holding the admin key. */
/** `expiresAt`: the token's `exp` in ms; Convex refuses every operation of an identity past it. */
export type Caller = { kind: "anonymous" } | { kind: "user"; identity: Identity; expiresAt: number } | { kind: "admin" };

export type Outcome =
  | { ok: true; value: JSONValue; ms: number; reads?: ReadSet }
  | { ok: false; message: string; data?: JSONValue; ms: number; reads?: ReadSet };

/** `argsValidator`: the function's args validator (parsed `exportArgs()`), when it declares one. */
export type Resolved = { udfPath: string; kind: Kind; argsValidator?: V };

export interface Engine {
  readonly name: string;
  /** The most each query and mutation cost in one call, per path. */
  readonly metrics: MetricsByPath;
  /** Map `mod:fn`, `mod.js:fn` or `mod` (default export) to a function; internal ones only for admins. */
  resolve(path: string, kind: Kind | "any", caller: Caller): Promise<Resolved>;
  /** `receipt`: a mutation's sync-protocol ids; if it commits, a receipt is stored with its writes. */
  run(fn: Resolved, args: JSONValue, caller: Caller, receipt?: Receipt): Promise<Outcome>;
  /** A re-sent mutation that already committed: its kept result (JSON text; null if lost in a crash), or null. */
  committed(receipt: Receipt): { result: string | null } | null;
  /** Called after any write commits, including from scheduled functions. */
  onWrite(listener: () => void): void;
  /** Index keys written since the last call. */
  takeWrites(): WriteSet;
  /** How many commits were made so far. */
  commitSeq(): number;
  /**
   * Undefined when the first `seq` commits (all so far by default) are on disk, else a promise of it: whatever tells
   * a client its write was made (an answer) waits for it (store.ts: durable answers).
   */
  whenDurable(seq?: number): Promise<void> | undefined;
  /** Every user document as `[component, table, doc]` (Convex JSON). */
  exportDocuments(): Iterable<[string, string, JSONValue]>;
  /** Load exported documents into an empty deployment. */
  importDocuments(rows: Array<[string, string, JSONValue]>): number;
  close(): Promise<void>;
}
