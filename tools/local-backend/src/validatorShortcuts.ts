/**
 * Two hot spots of every call, with the same results. A function's validators are JSON it serialises on request:
 * parsed once per function here (convex-test re-serialised and re-parsed them on every call). A union is validated
 * by trying its members in turn; a member that cannot take the value, by its kind or by a literal field such as an
 * event's `type`, is skipped before the full check (which builds an error, with the whole value in it, to throw
 * away). Used by argumentValidation.ts and, through build.mjs, by convex-test's own validation.
 */

/** A validator as a function's `exportArgs()` / `exportReturns()` gives it (JSON). */
export type V =
  | { type: "null" | "number" | "bigint" | "boolean" | "string" | "bytes" | "any" }
  | { type: "literal"; value: unknown }
  | { type: "id"; tableName: string }
  | { type: "array"; value: V }
  | { type: "record"; keys: V; values: { fieldType: V; optional: boolean } }
  | { type: "object"; value: Record<string, { fieldType: V; optional: boolean }> }
  | { type: "union"; value: V[] };

type Exporting = { exportArgs(): string; exportReturns(): string };
const parsed = new WeakMap<object, { args: V; returns: V | null }>();

/** A registered function's validators, parsed (`returns` null when it declares none). */
export function parsedValidators(fn: Exporting): { args: V; returns: V | null } {
  let got = parsed.get(fn);
  if (got === undefined) {
    got = { args: JSON.parse(fn.exportArgs()) as V, returns: JSON.parse(fn.exportReturns()) as V | null };
    parsed.set(fn, got);
  }
  return got;
}

function literalMayBe(lit: unknown, x: unknown): boolean {
  if (typeof lit === "object" && lit !== null) return typeof x === "bigint"; // an int64 literal ({$integer})
  return lit === x;
}

/** False only when `x` certainly does not conform to `v` (whichever validator checks it); true means "check it". */
export function mayMatch(v: V, x: unknown): boolean {
  switch (v.type) {
    case "null": return x === null;
    case "string": case "id": return typeof x === "string";
    case "number": return typeof x === "number";
    case "bigint": return typeof x === "bigint";
    case "boolean": return typeof x === "boolean";
    case "bytes": return x instanceof ArrayBuffer;
    case "literal": return literalMayBe(v.value, x);
    case "array": return Array.isArray(x);
    case "object": {
      if (x === null || typeof x !== "object" || Array.isArray(x) || x instanceof ArrayBuffer) return false;
      const o = x as Record<string, unknown>;
      for (const k in v.value) {
        const f = v.value[k];
        if (f.fieldType.type !== "literal") continue;
        if (o[k] === undefined ? !f.optional : !literalMayBe(f.fieldType.value, o[k])) return false;
      }
      return true;
    }
    default: return true;
  }
}
