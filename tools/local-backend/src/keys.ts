/**
 * Index keys as byte strings that sort the way Convex sorts values (`compareValues`), so SQLite's BLOB order
 * (memcmp, then length) is index order and an index range is a key range.
 *
 * Each value is a type tag (Convex's type order, shifted up one so 0x00 can end a sequence) and a self-delimiting
 * body: int64 and float64 as 8 big-endian bytes with the sign handled, strings (UTF-8) and bytes with 0x00 escaped
 * as 00 FF and ended by 00 01, arrays as their elements then 00, objects as their [key, value] pairs (keys sorted)
 * then 00. No encoding is a prefix of another, so a key prefix range is exactly the values that share the prefix.
 */
import type { Value } from "convex/values";

const TAG = { undefined: 1, null: 2, bigint: 3, number: 4, boolean: 5, string: 6, bytes: 7, array: 8, object: 10 } as const;
const textEncoder = new TextEncoder();
/** Scratch for a float's bits (keys are built synchronously, one at a time). */
const scratch = new DataView(new ArrayBuffer(8));

/** Where keys are built (one at a time, synchronously), grown as needed and kept; each key is copied out. */
let shared = new Uint8Array(1024);

class KeyWriter {
  private buf = shared;
  private n = 0;

  private room(k: number) {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
    if (next.length <= 1 << 20) shared = next;
  }

  byte(b: number) {
    this.room(1);
    this.buf[this.n++] = b;
  }

  /** Bytes with 0x00 escaped (00 → 00 FF), ended by 00 01: order and prefixes are kept. */
  escaped(bytes: Uint8Array) {
    this.room(bytes.length * 2 + 2);
    for (const b of bytes) {
      this.buf[this.n++] = b;
      if (b === 0) this.buf[this.n++] = 0xff;
    }
    this.buf[this.n++] = 0;
    this.buf[this.n++] = 1;
  }

  /** A string as escaped UTF-8; ASCII (ids, names, most keys) is written as it is read, without encoding it first. */
  text(s: string) {
    this.room(s.length * 2 + 2);
    const start = this.n;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.n = start;
        return this.escaped(textEncoder.encode(s));
      }
      this.buf[this.n++] = c;
      if (c === 0) this.buf[this.n++] = 0xff;
    }
    this.buf[this.n++] = 0;
    this.buf[this.n++] = 1;
  }

  u64(hi: number, lo: number) {
    this.room(8);
    const b = this.buf;
    let n = this.n;
    b[n++] = hi >>> 24;
    b[n++] = (hi >>> 16) & 0xff;
    b[n++] = (hi >>> 8) & 0xff;
    b[n++] = hi & 0xff;
    b[n++] = lo >>> 24;
    b[n++] = (lo >>> 16) & 0xff;
    b[n++] = (lo >>> 8) & 0xff;
    b[n++] = lo & 0xff;
    this.n = n;
  }

  value(v: Value | undefined) {
    if (v === undefined) return this.byte(TAG.undefined);
    if (v === null) return this.byte(TAG.null);
    switch (typeof v) {
      case "bigint": {
        this.byte(TAG.bigint);
        const u = BigInt.asUintN(64, v) ^ (1n << 63n); // two's complement with the sign bit flipped
        return this.u64(Number(u >> 32n), Number(u & 0xffffffffn));
      }
      case "number": {
        this.byte(TAG.number);
        scratch.setFloat64(0, v);
        let hi = scratch.getUint32(0);
        let lo = scratch.getUint32(4);
        if (hi & 0x80000000) {
          hi = ~hi; // negative (and -0, and NaNs with the sign bit): every bit flipped
          lo = ~lo;
        } else hi = hi | 0x80000000;
        return this.u64(hi, lo);
      }
      case "boolean":
        this.byte(TAG.boolean);
        return this.byte(v ? 1 : 0);
      case "string":
        this.byte(TAG.string);
        return this.text(v);
      default:
        break;
    }
    if (v instanceof ArrayBuffer) {
      this.byte(TAG.bytes);
      return this.escaped(new Uint8Array(v));
    }
    if (Array.isArray(v)) {
      this.byte(TAG.array);
      for (const x of v) this.value(x);
      return this.byte(0);
    }
    // Convex compares an object as the list of its [key, value] pairs, keys sorted.
    this.byte(TAG.object);
    for (const k of Object.keys(v).sort()) {
      this.byte(TAG.array);
      this.value(k);
      this.value((v as Record<string, Value>)[k]);
      this.byte(0);
    }
    this.byte(0);
  }

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.n));
  }
}

/** The key of a tuple of values (an index key, or a prefix of one). */
export function encodeKey(values: Array<Value | undefined>): Buffer {
  const w = new KeyWriter();
  for (const v of values) w.value(v);
  return w.done();
}

/** The smallest key greater than every key that starts with `prefix`; null when there is none (all 0xFF). */
export function prefixEnd(prefix: Uint8Array): Buffer | null {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i] += 1;
      return out.subarray(0, i + 1);
    }
  }
  return null;
}

/** The smallest key greater than `key` itself (not its extensions). */
export function keyAfter(key: Uint8Array): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}

/** A half-open key range `[lo, hi)`; `hi` null = no upper end. */
export type KeyRange = { lo: Buffer; hi: Buffer | null };

export type RangeExpr = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: Value };

/**
 * The key range of an index range expression (equalities on a prefix of the index fields, then at most one lower and
 * one upper bound on the next field). Null when the expression is not of that shape.
 */
export function rangeOf(fields: string[], exprs: RangeExpr[]): KeyRange | null {
  const eqs: Value[] = [];
  let lower: RangeExpr | undefined, upper: RangeExpr | undefined;
  for (const e of exprs) {
    const pos = fields.indexOf(e.fieldPath);
    if (e.type === "Eq" && pos === eqs.length && !lower && !upper) eqs.push(e.value);
    else if ((e.type === "Gt" || e.type === "Gte") && pos === eqs.length && !lower) lower = e;
    else if ((e.type === "Lt" || e.type === "Lte") && pos === eqs.length && !upper) upper = e;
    else return null;
  }
  const prefix = encodeKey(eqs);
  let lo: Buffer = prefix;
  let hi: Buffer | null = prefixEnd(prefix);
  if (lower) {
    const at = encodeKey([...eqs, lower.value]);
    lo = lower.type === "Gte" ? at : (prefixEnd(at) ?? at);
  }
  if (upper) {
    const at = encodeKey([...eqs, upper.value]);
    hi = upper.type === "Lt" ? at : prefixEnd(at);
  }
  return { lo, hi };
}

/** True when `key` lies in `[lo, hi)`. */
export function inRange(key: Uint8Array, r: KeyRange): boolean {
  return Buffer.compare(key, r.lo) >= 0 && (r.hi === null || Buffer.compare(key, r.hi) < 0);
}
