/**
 * Convex JSON on the wire: `$integer` for int64, `$bytes`, `$float` for NaN/±Inf/-0. Numbers are float64 and are
 * written with a decimal point (`6.0`), as Convex's backend does, because Python's legacy client rejects `6`.
 */
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";

export type { JSONValue, Value };

export function decodeArgs(args: unknown): Value {
  const a = Array.isArray(args) ? (args.length === 0 ? {} : args[0]) : (args ?? {});
  if (a === null || typeof a !== "object" || Array.isArray(a)) {
    throw new BadRequest("BadJsonBody", "arguments must be an object");
  }
  return jsonToConvex(a as JSONValue);
}

export function encodeValue(value: Value | undefined): JSONValue {
  return value === undefined ? null : convexToJson(value);
}

/** JSON.stringify where every finite number keeps a decimal point. */
export function stringifyConvexJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 1e21 ? `${v}.0` : JSON.stringify(v);
    case "string":
    case "boolean":
      return JSON.stringify(v);
    case "object": {
      if (Array.isArray(v)) return `[${v.map(stringifyConvexJson).join(",")}]`;
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x !== undefined) parts.push(`${JSON.stringify(k)}:${stringifyConvexJson(x)}`);
      }
      return `{${parts.join(",")}}`;
    }
    default:
      return "null";
  }
}

/** A request the server refuses before running any function (HTTP 4xx, or FatalError on the socket). */
export class BadRequest extends Error {
  constructor(
    public code: string,
    message: string,
    public status = 400,
  ) {
    super(message);
  }
}
