/**
 * What a query read and what a commit wrote, as index key ranges and keys: a subscription re-runs only when a
 * commit wrote a key inside a range it read. Spaces are `component/table/index`.
 */
import { inRange, type KeyRange } from "./keys.js";

export class ReadSet {
  readonly ranges = new Map<string, KeyRange[]>();

  add(space: string, range: KeyRange) {
    const list = this.ranges.get(space);
    if (list) list.push(range);
    else this.ranges.set(space, [range]);
  }

  /** True when any written key falls in a range read here. */
  touchedBy(writes: WriteSet): boolean {
    for (const [space, ranges] of this.ranges) {
      const keys = writes.keys.get(space);
      if (!keys) continue;
      for (const key of keys) for (const r of ranges) if (inRange(key, r)) return true;
    }
    return false;
  }
}

export class WriteSet {
  readonly keys = new Map<string, Buffer[]>();

  add(space: string, key: Buffer) {
    const list = this.keys.get(space);
    if (list) list.push(key);
    else this.keys.set(space, [key]);
  }

  merge(other: WriteSet) {
    for (const [space, keys] of other.keys) for (const k of keys) this.add(space, k);
  }
}
