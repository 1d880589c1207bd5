import { describe, expect, test } from "vitest";
import { v } from "convex/values";
import { validateArguments, valueProblem } from "./argumentValidation.js";
import { defineTable } from "convex/server";
import type { V } from "./validatorShortcuts.js";

const args = (o: Record<string, any>) => (v.object(o) as unknown as { json: V }).json;

describe("argument validation reads as Convex's validator.rs", () => {
  test("a nested path names array elements and fields", () => {
    expect(() => validateArguments(args({ items: v.array(v.object({ n: v.number() })) }), { items: [{ n: 1 }, { n: "x" }] }))
      .toThrow("ArgumentValidationError: Value does not match validator.\nPath: .items[1].n\nValue: \"x\"\nValidator: v.float64()");
  });
  test("a literal mismatch", () => {
    expect(() => validateArguments(args({ order: v.literal("asc") }), { order: "up" }))
      .toThrow("ArgumentValidationError: `\"up\"` does not match literal validator `v.literal(\"asc\")`.Path: .order");
  });
  test("a union shows every member", () => {
    expect(() => validateArguments(args({ c: v.union(v.string(), v.null()) }), { c: 3n }))
      .toThrow("Value: 3n\nValidator: v.union(v.string(), v.null())");
  });
  test("optional fields may be absent; conforming values pass", () => {
    expect(() => validateArguments(args({ a: v.optional(v.string()), b: v.int64(), r: v.record(v.string(), v.boolean()) }), { b: 1n, r: { x: true } })).not.toThrow();
  });
  test("a function without an args validator takes anything", () => {
    expect(() => validateArguments(undefined, { anything: 1 })).not.toThrow();
  });
});

describe("a document against its table's validator reads as Convex's schema errors", () => {
  // the document type as a schema exports it (what convex-test and the local backend hold per table)
  const table = defineTable({ name: v.string(), nick: v.optional(v.string()) }) as unknown as { export(): { documentType: V } };
  const users = table.export().documentType;
  test("a missing field, a wrong type, an extra field", () => {
    expect(valueProblem(users, { nick: "a" })).toMatch(/^Object is missing the required field `name`\./);
    expect(valueProblem(users, { name: 1 })).toBe("Value does not match validator.\nPath: .name\nValue: 1.0\nValidator: v.string()");
    expect(valueProblem(users, { name: "a", extra: true })).toMatch(/^Object contains extra field `extra` that is not in the validator\./);
  });
  test("a conforming document has no problem", () => {
    expect(valueProblem(users, { name: "a" })).toBeNull();
  });
});
