/**
 * What a running transaction sees of an index range: the committed entries (streamed from the store) that it has
 * not overwritten, merged in key order with the documents it wrote itself (convex-test keeps those in write levels,
 * innermost last, until the commit).
 */
import { inRange, type KeyRange } from "./keys.js";
import { keyOf, tableOf, type Doc, type Store } from "./store.js";

/** What this transaction has written in `table` so far: id → the latest version (null = deleted). */
export function pendingDocs(writes: Array<Record<string, Doc | null>>, table: string): Map<string, Doc | null> {
  const docs = new Map<string, Doc | null>();
  for (const level of writes) for (const [id, doc] of Object.entries(level)) if (tableOf(id) === table) docs.set(id, doc as Doc | null);
  return docs;
}

export type Found = { table: string; index: string; ix: number; range: KeyRange };
export type Entry = { key: Buffer; id: string; doc: Doc | null };

/**
 * The entries of an index range as the running transaction sees them, in order: committed entries not shadowed by
 * its writes, merged by key with the documents it wrote that fall in the range. `doc` is set for written ones.
 */
export function* visibleEntries(
  store: Store,
  comp: string,
  writes: Array<Record<string, Doc | null>>,
  found: Found,
  order: "asc" | "desc",
): Generator<Entry> {
  const pending = pendingDocs(writes, found.table);
  const committed = store.entries(found.ix, found.range, order);
  if (pending.size === 0) {
    for (const row of committed) yield { key: row.key, id: row.id, doc: null };
    return;
  }
  const { fields } = store.indexesOf(comp, found.table, found.index)[0];
  const dir = order === "asc" ? 1 : -1;
  const mine: Entry[] = [];
  for (const [id, doc] of pending) {
    if (doc === null) continue;
    const key = keyOf(doc, fields);
    if (inRange(key, found.range)) mine.push({ key, id, doc });
  }
  mine.sort((a, b) => Buffer.compare(a.key, b.key) * dir);
  let j = 0;
  for (const row of committed) {
    if (pending.has(row.id)) continue;
    while (j < mine.length && Buffer.compare(mine[j].key, row.key) * dir < 0) yield mine[j++];
    yield { key: row.key, id: row.id, doc: null };
  }
  while (j < mine.length) yield mine[j++];
}
