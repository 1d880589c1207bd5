/**
 * Argument validation with Convex's own messages (convex-backend `crates/common/src/schemas/validator.rs`), so apps
 * that match on them see the same text here as on a deployment:
 *
 *   ArgumentValidationError: Value does not match validator.
 *   Path: .title
 *   Value: 123.0
 *   Validator: v.string()
 *
 * plus "Object is missing the required field `f`…", "Object contains extra field `f`…" and literal / id mismatches.
 * Checked before convex-test's own validation (which would say "Validator error: Expected …").
 */
import type { Value } from "convex/values";
import { mayMatch, type V } from "./validatorShortcuts.js";

export class ArgumentValidationError extends Error {
  constructor(detail: string) {
    super(`ArgumentValidationError: ${detail}`);
    this.name = "ArgumentValidationError";
  }
}

function showValidator(v: V): string {
  switch (v.type) {
    case "null": return "v.null()";
    case "number": return "v.float64()";
    case "bigint": return "v.int64()";
    case "boolean": return "v.boolean()";
    case "string": return "v.string()";
    case "bytes": return "v.bytes()";
    case "any": return "v.any()";
    case "literal": return `v.literal(${showLiteral(v.value)})`;
    case "id": return `v.id("${v.tableName}")`;
    case "array": return `v.array(${showValidator(v.value)})`;
    case "record": return `v.record(${showValidator(v.keys)}, ${showValidator(v.values.fieldType)})`;
    case "object": return showObjectValidator(v.value);
    case "union": return `v.union(${v.value.map(showValidator).join(", ")})`;
  }
}

function showObjectValidator(fields: Record<string, { fieldType: V; optional: boolean }>): string {
  const parts = Object.keys(fields).sort().map((k) => {
    const f = fields[k];
    return `${k}: ${f.optional ? `v.optional(${showValidator(f.fieldType)})` : showValidator(f.fieldType)}`;
  });
  return `v.object({${parts.join(", ")}})`;
}

function showLiteral(x: unknown): string {
  if (typeof x === "object" && x !== null && "$integer" in x) return "<bigint>";
  return JSON.stringify(x) ?? "<number>";
}

/** A value as Convex prints it: floats with a decimal point, int64 with `n`, object keys bare. */
export function showValue(x: Value | undefined): string {
  if (x === null || x === undefined) return "null";
  if (typeof x === "bigint") return `${x}n`;
  if (typeof x === "number") return Number.isInteger(x) && Math.abs(x) < 1e21 ? `${x}.0` : String(x);
  if (typeof x === "string") return JSON.stringify(x);
  if (typeof x === "boolean") return String(x);
  if (x instanceof ArrayBuffer) return `b"${Buffer.from(x).toString("base64")}"`;
  if (Array.isArray(x)) return `[${x.map(showValue).join(", ")}]`;
  return `{${Object.keys(x).sort().map((k) => `${k}: ${showValue((x as Record<string, Value>)[k])}`).join(", ")}}`;
}

function isObject(x: unknown): x is Record<string, Value> {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof ArrayBuffer);
}

function sameLiteral(lit: unknown, x: Value): boolean {
  if (typeof lit === "object" && lit !== null && "$integer" in lit) {
    return typeof x === "bigint" && Buffer.from(String((lit as { $integer: string }).$integer), "base64").readBigInt64LE() === x;
  }
  return lit === x;
}

/** :returns: the error detail, or null when `x` conforms (`path` is Convex's `.field[0]` notation). */
function check(v: V, x: Value, path: string): string | null {
  const context = path ? `Path: ${path}` : "";
  const noMatch = () => `Value does not match validator.\n${context}\nValue: ${showValue(x)}\nValidator: ${showValidator(v)}`;
  switch (v.type) {
    case "any": return null;
    case "null": return x === null ? null : noMatch();
    case "number": return typeof x === "number" ? null : noMatch();
    case "bigint": return typeof x === "bigint" ? null : noMatch();
    case "boolean": return typeof x === "boolean" ? null : noMatch();
    case "string": return typeof x === "string" ? null : noMatch();
    case "bytes": return x instanceof ArrayBuffer ? null : noMatch();
    case "id": return typeof x === "string" ? null : noMatch(); // the table is checked where the id is read
    case "literal":
      return sameLiteral(v.value, x) ? null : `\`${showValue(x)}\` does not match literal validator \`v.literal(${showLiteral(v.value)})\`.${context}`;
    case "array": {
      if (!Array.isArray(x)) return noMatch();
      for (let i = 0; i < x.length; i++) {
        const e = check(v.value, x[i], `${path}[${i}]`);
        if (e) return e;
      }
      return null;
    }
    case "record": {
      if (!isObject(x)) return noMatch();
      for (const [k, y] of Object.entries(x)) {
        const e = check(v.keys, k, `${path}.keys()`) ?? check(v.values.fieldType, y, `${path}.values()`);
        if (e) return e;
      }
      return null;
    }
    case "object": {
      if (!isObject(x)) return noMatch();
      const fields = v.value;
      for (const name of Object.keys(fields).sort()) {
        const f = fields[name];
        if (x[name] === undefined) {
          if (f.optional) continue;
          return `Object is missing the required field \`${name}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.\n${context}\nObject: ${showValue(x)}\nValidator: ${showObjectValidator(fields)}`;
        }
        const e = check(f.fieldType, x[name], `${path}.${name}`);
        if (e) return e;
      }
      for (const name of Object.keys(x).sort()) {
        if (!(name in fields)) {
          return `Object contains extra field \`${name}\` that is not in the validator.\n${context}\nObject: ${showValue(x)}\nValidator: ${showObjectValidator(fields)}`;
        }
      }
      return null;
    }
    case "union":
      if (v.value.length === 1) return check(v.value[0], x, path);
      return v.value.some((u) => mayMatch(u, x) && check(u, x, path) === null) ? null : noMatch();
  }
}

/** A value against a validator (a table's document type): Convex's words for what is wrong, or null. */
export function valueProblem(v: V, x: Value): string | null {
  return check(v, x, "");
}

/**
 * :param v: the function's parsed args validator (absent for a function without one).
 * :throws ArgumentValidationError: when `args` does not conform.
 */
export function validateArguments(v: V | undefined, args: Record<string, Value>) {
  if (!v) return;
  const problem = check(v, args, "");
  if (problem !== null) throw new ArgumentValidationError(problem);
}
