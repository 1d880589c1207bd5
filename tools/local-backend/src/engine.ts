/**
 * The engine seam: resolve a public function by path, run it with an identity, and report writes. The protocol
 * layers (http.ts, syncProtocol.ts) only see this interface, so part 2's durable engine swaps in underneath.
 */
import type { MetricsByPath } from "./callMetrics.js";
import type { ReadSet, WriteSet } from "./readSet.js";
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

export type Resolved = { udfPath: string; kind: Kind };

export interface Engine {
  readonly name: string;
  /** The most each query and mutation cost in one call, per path. */
  readonly metrics: MetricsByPath;
  /** Map `mod:fn`, `mod.js:fn` or `mod` (default export) to a function; internal ones only for admins. */
  resolve(path: string, kind: Kind | "any", caller: Caller): Promise<Resolved>;
  run(fn: Resolved, args: JSONValue, caller: Caller): Promise<Outcome>;
  /** Called after any write commits, including from scheduled functions. */
  onWrite(listener: () => void): void;
  /** Index keys written since the last call. */
  takeWrites(): WriteSet;
  /** Every user document as `[component, table, doc]` (Convex JSON). */
  exportDocuments(): Iterable<[string, string, JSONValue]>;
  /** Load exported documents into an empty deployment. */
  importDocuments(rows: Array<[string, string, JSONValue]>): number;
  close(): Promise<void>;
}
