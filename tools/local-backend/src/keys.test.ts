// @vitest-environment node
// Index keys sort exactly as Convex sorts values (`compareValues`), on random values of every type.
import { compareValues, type Value } from "convex/values";
import { describe, expect, test } from "vitest";
import { encodeKey, prefixEnd, rangeOf } from "./keys.js";

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function randomValue(r: () => number, depth = 0): Value | undefined {
  const pick = Math.floor(r() * (depth > 2 ? 7 : 9));
  const specials = [0, -0, 1, -1, 0.5, -0.5, 1e300, -1e300, Infinity, -Infinity, NaN, 2 ** 53, -(2 ** 53)];
  const strings = ["", "a", "ab", "a\u0000", "a\u0000b", "b", "\u00e9", "\uffff", "\ud83d\ude00", "z".repeat(3)];
  switch (pick) {
    case 0: return undefined;
    case 1: return null;
    case 2: return BigInt(Math.floor((r() - 0.5) * 2 ** 40)) * (r() < 0.2 ? 2n ** 22n : 1n);
    case 3: return r() < 0.5 ? specials[Math.floor(r() * specials.length)] : (r() - 0.5) * 10 ** Math.floor(r() * 12);
    case 4: return r() < 0.5;
    case 5: return r() < 0.6 ? strings[Math.floor(r() * strings.length)] : r().toString(36).slice(2, 2 + Math.floor(r() * 6));
    case 6: return new Uint8Array(Array.from({ length: Math.floor(r() * 4) }, () => (r() < 0.3 ? 0 : Math.floor(r() * 256)))).buffer;
    case 7: return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1) ?? null);
    default: {
      const o: Record<string, Value> = {};
      for (let i = 0; i < Math.floor(r() * 3); i++) o[["a", "b", "c"][Math.floor(r() * 3)]] = randomValue(r, depth + 1) ?? null;
      return o;
    }
  }
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe("index keys", () => {
  test("byte order equals compareValues order", () => {
    const r = rng(20261125);
    for (let i = 0; i < 20_000; i++) {
      const a = randomValue(r);
      const b = r() < 0.1 ? a : randomValue(r);
      expect(sign(Buffer.compare(encodeKey([a]), encodeKey([b])))).toBe(sign(compareValues(a as Value, b as Value)));
    }
  });

  test("tuples compare element by element", () => {
    const r = rng(7);
    for (let i = 0; i < 5_000; i++) {
      const a = [randomValue(r), randomValue(r)];
      const b = [r() < 0.5 ? a[0] : randomValue(r), randomValue(r)];
      const expected = sign(compareValues(a[0] as Value, b[0] as Value)) || sign(compareValues(a[1] as Value, b[1] as Value));
      expect(sign(Buffer.compare(encodeKey(a), encodeKey(b)))).toBe(expected);
    }
  });

  test("a prefix range holds exactly the keys that start with the prefix", () => {
    const p = encodeKey(["conv-1"]);
    const end = prefixEnd(p)!;
    for (const inside of [encodeKey(["conv-1", 0]), encodeKey(["conv-1", "zzz", 5n])]) {
      expect(Buffer.compare(inside, p) >= 0 && Buffer.compare(inside, end) < 0).toBe(true);
    }
    for (const outside of [encodeKey(["conv-0", 9]), encodeKey(["conv-10"]), encodeKey(["conv-2"])]) {
      expect(Buffer.compare(outside, p) >= 0 && Buffer.compare(outside, end) < 0).toBe(false);
    }
  });

  test("range bounds: eq prefix then gt/gte/lt/lte on the next field", () => {
    const fields = ["actor", "at", "_creationTime", "_id"];
    const key = (at: number) => encodeKey(["a", at, 1, "id"]);
    const within = (exprs: Parameters<typeof rangeOf>[1], at: number) => {
      const range = rangeOf(fields, exprs)!;
      const k = key(at);
      return Buffer.compare(k, range.lo) >= 0 && (range.hi === null || Buffer.compare(k, range.hi) < 0);
    };
    const eq = { type: "Eq" as const, fieldPath: "actor", value: "a" };
    expect([1, 2, 3].map((at) => within([eq, { type: "Gt", fieldPath: "at", value: 2 }], at))).toEqual([false, false, true]);
    expect([1, 2, 3].map((at) => within([eq, { type: "Gte", fieldPath: "at", value: 2 }], at))).toEqual([false, true, true]);
    expect([1, 2, 3].map((at) => within([eq, { type: "Lt", fieldPath: "at", value: 2 }], at))).toEqual([true, false, false]);
    expect([1, 2, 3].map((at) => within([eq, { type: "Lte", fieldPath: "at", value: 2 }], at))).toEqual([true, true, false]);
    expect(rangeOf(fields, [{ type: "Eq", fieldPath: "at", value: 1 }])).toBeNull(); // not a prefix of the index
  });
});

test("keys are the bytes earlier versions stored (a database written before stays readable)", () => {
  // Hex written by the encoder as of contract v14, before its ASCII and number fast paths.
  const vals: Array<Array<Value | undefined>> = [
    ["conv-1", 0],
    ["", "a\u0000b", "\u00e9t\u00e9", "\ud83d\ude00", "https://dev.codex-convex.local|bench"],
    [-0, 1.5, -2.25, 2 ** 53, NaN, Infinity],
    [5n, -7n, null, undefined, true, false],
    [[1, "x"], { b: 2, a: "y" }, new Uint8Array([0, 1, 255]).buffer],
  ];
  expect(vals.map((v) => encodeKey(v).toString("hex"))).toEqual([
    "06636f6e762d310001048000000000000000",
    "060001066100ff62000106c3a974c3a9000106f09f988000010668747470733a2f2f6465762e636f6465782d636f6e7665782e6c6f63616c7c62656e63680001",
    "047fffffffffffffff04bff8000000000000043ffdffffffffffff04c34000000000000004fff800000000000004fff0000000000000",
    "038000000000000005037ffffffffffffff9020105010500",
    "0804bff000000000000006780001000a08066100010679000100080662000104c00000000000000000000700ff01ff0001",
  ]);
});
