/**
 * What a running transaction sees of an index range: the committed entries (streamed from the store) that it has
 * not overwritten, merged in key order with the documents it wrote itself. convex-test keeps those writes in
 * levels (innermost last) until the commit; `Pending` mirrors them per table and per index as sorted keys, updated
 * on each write, so a query after n writes costs a binary search, not n key encodings.
 */
import type { KeyRange } from "./keys.js";
import { keyOf, tableOf, type Doc, type Store } from "./store.js";

export type Found = { table: string; index: string; ix: number; range: KeyRange };
export type Entry = { key: Buffer; id: string; doc: Doc | null };

/** First position in `arr` (ascending keys) whose key is ≥ `key`. */
function lowerBound(arr: Entry[], key: Buffer): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.compare(arr[mid].key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The running transaction's writes of one component: latest version per id, and per index the written documents'
 * keys in order, built the first time a query reads that index and kept up to date from then on (a transaction
 * that only writes never computes them).
 */
export class Pending {
  private docs = new Map<string, Map<string, Doc | null>>();
  /** Per table, when each id was first written (a count of first writes): a range read's view is a count. */
  private firstWrite = new Map<string, Map<string, number>>();
  private writes = 0;
  private sorted = new Map<string, { arr: Entry[]; keys: Map<string, Buffer>; fields: string[] }>();

  constructor(
    private store: Store,
    private comp: string,
  ) {}

  /** Replay every level (after a nested rollback dropped one). */
  static of(store: Store, comp: string, levels: Array<Record<string, Doc | null>>): Pending {
    const p = new Pending(store, comp);
    for (const level of levels) for (const [id, doc] of Object.entries(level)) p.write(id, doc);
    return p;
  }

  write(id: string, doc: Doc | null) {
    const table = tableOf(id);
    if (!this.docs.has(table)) {
      this.docs.set(table, new Map());
      this.firstWrite.set(table, new Map());
    }
    const docs = this.docs.get(table)!;
    if (!docs.has(id)) this.firstWrite.get(table)!.set(id, ++this.writes);
    // A nested transaction's commit hands its writes to the level below: the same documents, already placed.
    if (docs.get(id) === doc && (doc !== null || docs.has(id))) return;
    docs.set(id, doc);
    for (const [space, index] of this.sorted) if (space.startsWith(`${table}/`)) place(index, id, doc);
  }

  /** The moment now, for `writtenBefore`. */
  now(): number {
    return this.writes;
  }

  /** Whether `id` of `table` was written by moment `at` (its committed version is then stale for a view taken at `at`). */
  writtenBefore(table: string, id: string, at: number): boolean {
    const n = this.firstWrite.get(table)?.get(id);
    return n !== undefined && n <= at;
  }

  /** Ids written in `table` (deleted ones included): their committed versions are stale. */
  table(table: string): Map<string, Doc | null> | undefined {
    return this.docs.get(table);
  }

  /** Written documents of an index range, in order. */
  range(table: string, index: string, range: KeyRange, order: "asc" | "desc"): Entry[] {
    const space = `${table}/${index}`;
    let built = this.sorted.get(space);
    if (!built) {
      const { fields } = this.store.indexesOf(this.comp, table, index)[0];
      built = { arr: [], keys: new Map(), fields };
      for (const [id, doc] of this.docs.get(table) ?? []) place(built, id, doc);
      this.sorted.set(space, built);
    }
    const { arr } = built;
    const from = lowerBound(arr, range.lo);
    const to = range.hi === null ? arr.length : lowerBound(arr, range.hi);
    const out = arr.slice(from, Math.max(from, to));
    return order === "asc" ? out : out.reverse();
  }
}

/** Put `doc` (null: remove `id`) at its key's place in a sorted index of written documents. */
function place(index: { arr: Entry[]; keys: Map<string, Buffer>; fields: string[] }, id: string, doc: Doc | null) {
  const old = index.keys.get(id);
  if (old) {
    index.arr.splice(lowerBound(index.arr, old), 1);
    index.keys.delete(id);
  }
  if (doc !== null) {
    const key = keyOf(doc, index.fields);
    index.arr.splice(lowerBound(index.arr, key), 0, { key, id, doc });
    index.keys.set(id, key);
  }
}

/**
 * The entries of an index range as the running transaction sees them now, in order: committed entries not shadowed
 * by its writes, merged by key with the documents it wrote that fall in the range (`doc` set for those). The view
 * is taken when this is called: writes made while the entries are being read do not change them.
 */
export function visibleEntries(store: Store, pending: Pending | undefined, found: Found, order: "asc" | "desc"): Iterable<Entry> {
  const written = pending?.table(found.table);
  if (!pending || !written || written.size === 0) return plain(store, found, order);
  // The view is taken now: ids first written later do not hide their committed versions (no copy of the written ids:
  // a step that has written n documents reads each range in O(range), not O(n)).
  const at = pending.now();
  const stale = (id: string) => pending.writtenBefore(found.table, id, at);
  return merged(store, stale, pending.range(found.table, found.index, found.range, order), found, order);
}

function* plain(store: Store, found: Found, order: "asc" | "desc"): Generator<Entry> {
  for (const row of store.entries(found.ix, found.range, order)) yield { key: row.key, id: row.id, doc: null };
}

function* merged(store: Store, stale: (id: string) => boolean, mine: Entry[], found: Found, order: "asc" | "desc"): Generator<Entry> {
  const dir = order === "asc" ? 1 : -1;
  let j = 0;
  for (const row of store.entries(found.ix, found.range, order)) {
    if (stale(row.id)) continue;
    while (j < mine.length && Buffer.compare(mine[j].key, row.key) * dir < 0) yield mine[j++];
    yield { key: row.key, id: row.id, doc: null };
  }
  while (j < mine.length) yield mine[j++];
}
