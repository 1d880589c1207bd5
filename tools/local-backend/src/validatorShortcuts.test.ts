import { describe, expect, test } from "vitest";
import { v } from "convex/values";
import { vIngestEvent } from "../../../convex/component/ingestEvents.js";
import { validateArguments } from "./argumentValidation.js";
import { mayMatch, parsedValidators, type V } from "./validatorShortcuts.js";

const json = (x: unknown) => (x as { json: V }).json;
const where = { threadId: "th", turnId: "tu" };
const events: Array<Record<string, unknown>> = [
  { type: "threadMeta", threadId: "th", name: "n", at: 1 },
  { type: "turnStarted", ...where, at: 1 },
  { type: "turnCompleted", ...where, status: "completed", at: 1 },
  { type: "item", ...where, itemId: "i", phase: "started", itemType: "agentMessage", part: 0, partCount: 1, data: "{}", at: 1, view: null },
  { type: "messageDelta", ...where, itemId: "i", firstDelta: 0, deltaCount: 2, text: "ab", at: 1 },
  { type: "tokenUsage", ...where, inputTokens: 1, cachedInputTokens: 0, outputTokens: 1, reasoningOutputTokens: 0, totalTokens: 2, lastTotalTokens: 2, at: 1 },
  { type: "lifecycle", kind: "k", message: "m", at: 1 },
];
const broken: Array<Record<string, unknown>> = [
  { type: "messageDelta", ...where, itemId: "i", firstDelta: 0, deltaCount: 2, at: 1 }, // no text
  { type: "noSuchEvent", ...where, at: 1 },
  { type: "turnCompleted", ...where, status: "sideways", at: 1 },
  { ...where, at: 1 }, // no type
];
const members = (json(vIngestEvent) as { value: V[] }).value;
const args = json(v.object({ events: v.array(vIngestEvent) }));

describe("union shortcuts skip only members that cannot match", () => {
  test("each event of the union is tried against its own member only, and still validates", () => {
    for (const e of events) {
      const tried = members.filter((m) => mayMatch(m, e));
      expect(tried.length, JSON.stringify(e)).toBe(1);
      expect(() => validateArguments(args, { events: [e] as never })).not.toThrow();
    }
  });

  test("a skipped member always fails the full check; bad events are refused as before, with the whole union shown", () => {
    const values: unknown[] = [...events, ...broken, null, 1, 1n, "s", true, [], new ArrayBuffer(1), {}];
    for (const x of values) {
      for (const m of members) {
        const field: V = { type: "object", value: { x: { fieldType: m, optional: false } } };
        if (!mayMatch(m, x)) expect(() => validateArguments(field, { x } as never), String(x)).toThrow();
      }
    }
    for (const e of broken) {
      expect(() => validateArguments(args, { events: [e] as never })).toThrow("Validator: v.union(v.object({at: v.float64()");
    }
  });

  test("kinds, int64 literals and optional literal fields", () => {
    expect(mayMatch(json(v.null()), null)).toBe(true);
    expect(mayMatch(json(v.null()), 0)).toBe(false);
    expect(mayMatch(json(v.literal(3n)), 3n)).toBe(true); // checked in full (the literal is {$integer})
    expect(mayMatch(json(v.literal(3n)), 3)).toBe(false);
    expect(mayMatch(json(v.bytes()), new ArrayBuffer(2))).toBe(true);
    expect(mayMatch(json(v.object({ k: v.optional(v.literal("a")) })), {})).toBe(true);
    expect(mayMatch(json(v.object({ k: v.literal("a") })), {})).toBe(false);
    expect(mayMatch(json(v.object({ k: v.literal("a") })), { k: "b" })).toBe(false);
    expect(mayMatch(json(v.record(v.string(), v.number())), "x")).toBe(true); // not judged here: the full check does
  });

  test("a function's validators are parsed once", () => {
    let calls = 0;
    const fn = { exportArgs: () => (calls++, JSON.stringify({ type: "object", value: {} })), exportReturns: () => "null" };
    const a = parsedValidators(fn);
    expect(parsedValidators(fn)).toBe(a);
    expect(calls).toBe(1);
    expect(a.returns).toBeNull();
  });
});
