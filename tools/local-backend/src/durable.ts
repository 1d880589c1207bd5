/**
 * The durable, indexed engine under convex-test's execution (`--engine durable`, the default).
 *
 * convex-test runs the functions (validators, transactions, nested rollback, scheduler); this module replaces
 * its storage underneath by patching its DatabaseFake:
 *  - every table keeps its own id set, and every index (schema indexes, by_id, by_creation_time) a sorted array
 *    of keys, so an index range query touches what it returns, not the table or the component;
 *  - every top-level commit is appended to a write-ahead log and fsynced before the mutation returns, so a
 *    `kill -9` loses nothing acknowledged; a torn last line (an unacknowledged commit) is ignored at load;
 *  - at start the snapshot and the log are replayed, the snapshot rewritten, and scheduled functions that had
 *    not run are scheduled again;
 *  - Convex's document limits (1 MiB, 8,192 array elements, nesting 16, reserved field names) are enforced.
 * One log record per component database: a transaction writing into two components is two records (the app
 * and the component here never both write in one mutation).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { compareValues, convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { __DatabaseFake, __evaluateFieldPath, __evaluateRangeFilter, __tableNameFromId } from "convex-test";
import BTree from "sorted-btree";
import { checkDocument } from "./limits.js";
import { log } from "./log.js";

type Doc = Record<string, any> & { _id: string; _creationTime: number };
type RangeExpr = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: JSONValue };

/** Sorts after every value: the upper end of a key prefix. */
const MAX = Symbol("max");
const cmpKeys = (a: unknown[], b: unknown[], n = Math.min(a.length, b.length)): number => {
  for (let i = 0; i < n; i++) {
    if (a[i] === MAX || b[i] === MAX) {
      if (a[i] === b[i]) continue;
      return a[i] === MAX ? 1 : -1;
    }
    const c = compareValues(a[i] as Value, b[i] as Value);
    if (c !== 0) return c;
  }
  return 0;
};
/** Total order of index keys: element by element, then the shorter (a prefix) first. */
const cmpTotal = (a: unknown[], b: unknown[]): number => cmpKeys(a, b) || a.length - b.length;
// Every index key ends with the document's _id, so keys are unique and a B-tree holds them in index order.
type Index = { fields: string[]; tree: BTree<unknown[], string> };

class TableState {
  ids = new Set<string>();
  indexes = new Map<string, Index>();
}

class DbState {
  tables = new Map<string, TableState>();
  constructor(private db: any) {}

  table(name: string): TableState {
    let t = this.tables.get(name);
    if (!t) {
      t = new TableState();
      const declared = this.db._schema?.tables.get(name)?.indexes ?? [];
      const mk = (fields: string[]): Index => ({ fields, tree: new BTree<unknown[], string>(undefined, cmpTotal) });
      for (const { indexDescriptor, fields } of declared) t.indexes.set(indexDescriptor, mk([...fields, "_creationTime", "_id"]));
      t.indexes.set("by_creation_time", mk(["_creationTime", "_id"]));
      t.indexes.set("by_id", mk(["_id"]));
      this.tables.set(name, t);
    }
    return t;
  }

  static keyOf(doc: Doc, fields: string[]): unknown[] {
    return fields.map((f) => __evaluateFieldPath(f, doc));
  }

  remove(doc: Doc) {
    const t = this.table(__tableNameFromId(doc._id)!);
    t.ids.delete(doc._id);
    for (const idx of t.indexes.values()) idx.tree.delete(DbState.keyOf(doc, idx.fields));
  }

  add(doc: Doc) {
    const t = this.table(__tableNameFromId(doc._id)!);
    t.ids.add(doc._id);
    for (const idx of t.indexes.values()) idx.tree.set(DbState.keyOf(doc, idx.fields), doc._id);
  }

  /**
   * Committed ids of an index range, lazily, in `order`: a query that stops after n rows pays for n rows.
   * `null` when the expression is not a prefix range of the index (the caller falls back to a scan).
   */
  rangeIter(table: string, index: string, exprs: RangeExpr[], order: "asc" | "desc"): Iterable<string> | null {
    const idx = this.table(table).indexes.get(index);
    if (!idx) return null;
    const eqs: unknown[] = [];
    let lower: RangeExpr | undefined, upper: RangeExpr | undefined;
    for (const e of exprs) {
      const pos = idx.fields.indexOf(e.fieldPath);
      if (e.type === "Eq" && pos === eqs.length) eqs.push(jsonToConvex(e.value));
      else if ((e.type === "Gt" || e.type === "Gte") && pos === eqs.length) lower = e;
      else if ((e.type === "Lt" || e.type === "Lte") && pos === eqs.length) upper = e;
      else return null;
    }
    const n = eqs.length;
    const lowVal = lower ? (jsonToConvex(lower.value) as unknown) : undefined;
    const highVal = upper ? (jsonToConvex(upper.value) as unknown) : undefined;
    const aboveLower = (key: unknown[]) => {
      if (!lower) return true;
      const c = compareValues(key[n] as Value, lowVal as Value);
      return lower.type === "Gte" ? c >= 0 : c > 0;
    };
    const belowUpper = (key: unknown[]) => {
      if (!upper) return true;
      const c = compareValues(key[n] as Value, highVal as Value);
      return upper.type === "Lte" ? c <= 0 : c < 0;
    };
    const tree = idx.tree;
    return {
      *[Symbol.iterator]() {
        if (order === "asc") {
          for (const [key, id] of tree.entries(lower ? [...eqs, lowVal] : eqs)) {
            if (cmpKeys(key, eqs, n) !== 0 || !belowUpper(key)) return;
            if (aboveLower(key)) yield id;
          }
        } else {
          const high = upper ? (upper.type === "Lte" ? [...eqs, highVal, MAX] : [...eqs, highVal]) : [...eqs, MAX];
          for (const [key, id] of tree.entriesReversed(high)) {
            if (cmpKeys(key, eqs, n) !== 0 || !aboveLower(key)) return;
            if (belowUpper(key)) yield id;
          }
        }
      },
    };
  }

  /** Committed ids of an index range, all of them, in index order (for the scan fallback of a query). */
  range(table: string, index: string, exprs: RangeExpr[]): string[] | null {
    const ids = this.rangeIter(table, index, exprs, "asc");
    return ids === null ? null : [...ids];
  }
}

export class WriteAheadLog {
  private fd: number | null = null;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private get walPath() {
    return join(this.dir, "wal.jsonl");
  }

  /** Snapshot then log records, in order: `[component, id, doc | null]`. */
  *load(): Generator<[string, string, JSONValue | null]> {
    const snap = join(this.dir, "snapshot.jsonl");
    for (const file of [snap, this.walPath]) {
      if (!existsSync(file)) continue;
      const lines = readFileSync(file, "utf8").split("\n");
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]) continue;
        let rec: any;
        try {
          rec = JSON.parse(lines[i]);
        } catch {
          if (i >= lines.length - 2) break; // a torn last write: it was never acknowledged
          throw new Error(`${file}:${i + 1} is corrupt`);
        }
        for (const [c, id, doc] of rec.w as Array<[string, string, JSONValue | null]>) yield [c, id, doc];
      }
    }
  }

  /** Rewrite the snapshot from the live documents and start an empty log (atomic rename). */
  compact(docs: Iterable<[string, string, JSONValue]>) {
    const tmp = join(this.dir, "snapshot.jsonl.tmp");
    const fd = openSync(tmp, "w");
    let batch: Array<[string, string, JSONValue]> = [];
    const flush = () => {
      if (batch.length) writeSync(fd, JSON.stringify({ w: batch }) + "\n");
      batch = [];
    };
    for (const d of docs) {
      batch.push(d);
      if (batch.length >= 1000) flush();
    }
    flush();
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, "snapshot.jsonl"));
    if (this.fd !== null) closeSync(this.fd);
    this.fd = openSync(this.walPath, "w");
    fsyncSync(this.fd);
  }

  append(records: Array<[string, string, JSONValue | null]>) {
    if (this.fd === null) this.fd = openSync(this.walPath, "a");
    writeSync(this.fd, JSON.stringify({ w: records }) + "\n");
    fsyncSync(this.fd);
  }
}

/** The tables a query reads, collected while it runs (per execution: async-local). */
export const readSets = new AsyncLocalStorage<Set<string>>();
/** Documents written by top-level commits since start (benchmarks read it from /health). */
export let documentsWritten = 0;
/** Tables written by commits since the last `takeWrittenTables()`. */
let writtenTables = new Set<string>();

export function takeWrittenTables(): Set<string> {
  const t = writtenTables;
  writtenTables = new Set();
  return t;
}

function noteRead(db: any, table: string | null) {
  if (table !== null) readSets.getStore()?.add(`${db._componentPath}/${table}`);
}

const states = new WeakMap<object, DbState>();
const registry = new Map<string, any>();
let wal: WriteAheadLog | null = null;

function stateOf(db: any): DbState {
  let s = states.get(db);
  if (!s) {
    s = new DbState(db);
    states.set(db, s);
    for (const id of Object.keys(db._documents)) s.add(db._documents[id]);
  }
  return s;
}

/** Patch convex-test's DatabaseFake (once per process). `dir` null = indexed but in memory. */
export function installDurableStorage(dir: string | null) {
  wal = dir === null ? null : new WriteAheadLog(dir);
  const P = __DatabaseFake.prototype;
  const orig = { validateSchema: P.validateSchema, commit: P.commit, addWrite: P._addWrite };

  P.validateSchema = function (this: any) {
    registry.set(this._componentPath, this);
    return orig.validateSchema.call(this);
  };

  P._addWrite = function (this: any, id: string, value: Doc | null) {
    if (value !== null) checkDocument(__tableNameFromId(id) ?? "?", value);
    return orig.addWrite.call(this, id, value);
  };

  P.commit = function (this: any, commitTs: unknown = null) {
    const topLevel = this._writes.length === 1;
    const ids = topLevel ? Object.keys(this._writes[0]) : [];
    const before = ids.map((id) => this._documents[id] as Doc | undefined);
    const s = topLevel ? stateOf(this) : null; // built before the commit changes _documents
    orig.commit.call(this, commitTs);
    if (s === null || ids.length === 0) return;
    const records: Array<[string, string, JSONValue | null]> = [];
    ids.forEach((id, i) => {
      const after = (this._documents[id] as Doc | undefined) ?? null;
      if (before[i]) s.remove(before[i]!);
      if (after) s.add(after);
      records.push([this._componentPath, id, after === null ? null : convexToJson(after as Value)]);
      writtenTables.add(`${this._componentPath}/${__tableNameFromId(id)}`);
      documentsWritten += 1;
    });
    wal?.append(records); // on disk before the mutation's response is sent
  };

  const origGet = P.get;
  P.get = function (this: any, tableName: string, id: string) {
    noteRead(this, __tableNameFromId(id));
    return origGet.call(this, tableName, id);
  };

  P._iterateDocs = function (this: any, tableName: string, callback: (d: Doc) => void) {
    noteRead(this, tableName);
    const ids = new Set(stateOf(this).table(tableName).ids);
    for (const level of this._writes) for (const id of Object.keys(level)) if (__tableNameFromId(id) === tableName) ids.add(id);
    for (const id of ids) {
      const d = this.get(tableName, id);
      if (d !== null) callback(d);
    }
  };

  // Streaming index ranges: a query with no filter over an index range, in a transaction that has not written
  // that table, reads documents one at a time straight from the B-tree.
  const origStart = P.startQuery;
  const origNext = P.queryNext;
  const lazy = new WeakMap<object, Map<number, { it: Iterator<string>; table: string }>>();
  P.startQuery = function (this: any, query: any) {
    const source = query.source;
    if (source.type === "IndexRange" && query.operators.length === 0) {
      const [table, indexName] = source.indexName.split(".");
      const pending = this._writes.some((level: Record<string, unknown>) => Object.keys(level).some((id) => __tableNameFromId(id) === table));
      const ids = pending ? null : stateOf(this).rangeIter(table, indexName, source.range, source.order ?? "asc");
      if (ids !== null) {
        noteRead(this, table);
        const id = this._nextQueryId++;
        if (!lazy.has(this)) lazy.set(this, new Map());
        lazy.get(this)!.set(id, { it: ids[Symbol.iterator](), table });
        return id;
      }
    }
    return origStart.call(this, query);
  };
  const origStartTx = P.startTransaction;
  P.startTransaction = function (this: any) {
    if (this._writes.length === 0) lazy.get(this)?.clear(); // a new top-level transaction: older queries are done
    return origStartTx.call(this);
  };
  P.queryNext = function (this: any, queryId: number) {
    const q = lazy.get(this)?.get(queryId);
    if (!q) return origNext.call(this, queryId);
    for (;;) {
      const next = q.it.next();
      if (next.done) {
        lazy.get(this)!.delete(queryId);
        return { value: null, done: true };
      }
      const doc = this._documents[next.value];
      if (doc !== undefined) return { value: doc, done: false };
    }
  };

  const origResolve = P._resolveQuerySource;
  P._resolveQuerySource = function (this: any, query: any) {
    const source = query.source;
    if (source.type !== "IndexRange") return origResolve.call(this, query);
    const [tableName, indexName] = source.indexName.split(".");
    noteRead(this, tableName);
    const committed = stateOf(this).range(tableName, indexName, source.range);
    if (committed === null) return origResolve.call(this, query);
    // Serve the range from the index: swap the table scan for the range's ids plus this transaction's writes.
    const self = this;
    const iterate = this._iterateDocs;
    this._iterateDocs = function (t: string, cb: (d: Doc) => void) {
      const ids = new Set(committed);
      for (const level of self._writes) for (const id of Object.keys(level)) if (__tableNameFromId(id) === t) ids.add(id);
      for (const id of ids) {
        const d = self.get(t, id);
        if (d !== null && source.range.every((f: unknown) => __evaluateRangeFilter(d, f))) cb(d);
      }
    };
    try {
      return origResolve.call(this, query);
    } finally {
      this._iterateDocs = iterate;
    }
  };
}

/** Replay the snapshot and log into the registered databases, then compact. Returns the documents loaded. */
export function loadDurableState(): number {
  if (wal === null) return 0;
  const latest = new Map<string, Map<string, JSONValue | null>>();
  for (const [c, id, doc] of wal.load()) {
    if (!latest.has(c)) latest.set(c, new Map());
    latest.get(c)!.set(id, doc);
  }
  let count = 0;
  for (const [c, docs] of latest) {
    const db = registry.get(c);
    if (!db) {
      log("durable.unknown_component", { component: c, docs: docs.size });
      continue;
    }
    let maxCounter = db._nextDocId - 1;
    let lastCreation = db._lastCreationTime;
    for (const [id, json] of docs) {
      if (json === null) continue;
      const doc = jsonToConvex(json) as Doc;
      db._documents[id] = doc;
      count += 1;
      maxCounter = Math.max(maxCounter, Number(id.match(/^[0-9]+/)![0]));
      lastCreation = Math.max(lastCreation, doc._creationTime);
    }
    db._nextDocId = maxCounter + 1;
    db._lastCreationTime = lastCreation;
    states.delete(db); // rebuilt lazily from _documents
  }
  wal.compact(allDocuments());
  return count;
}

function* allDocuments(): Generator<[string, string, JSONValue]> {
  for (const [c, db] of registry) for (const [id, doc] of Object.entries(db._documents)) yield [c, id, convexToJson(doc as Value)];
}

/** Scheduled functions that had not finished when the process stopped: `[component, id, doc]`. */
export function unfinishedScheduledFunctions(): Array<{ component: string; id: string; doc: Doc }> {
  const out = [];
  for (const [c, db] of registry) {
    for (const [id, doc] of Object.entries(db._documents) as Array<[string, Doc]>) {
      if (__tableNameFromId(id) === "_scheduled_functions" && (doc.state?.kind === "pending" || doc.state?.kind === "inProgress")) {
        out.push({ component: c, id, doc });
      }
    }
  }
  return out;
}

/** Drop a stale scheduled-function row (it is scheduled again under a new id). */
export function forgetScheduled(component: string, id: string) {
  const db = registry.get(component);
  const doc = db?._documents[id];
  if (!doc) return;
  stateOf(db).remove(doc);
  delete db._documents[id];
  wal?.append([[component, id, null]]);
}

/** Every user document (system tables left out): `[component, table, doc]`, for `backend export`. */
export function* exportDocuments(): Generator<[string, string, JSONValue]> {
  for (const [c, db] of registry) {
    for (const [id, doc] of Object.entries(db._documents)) {
      const table = __tableNameFromId(id)!;
      if (!table.startsWith("_")) yield [c, table, convexToJson(doc as Value)];
    }
  }
}

/** Load exported documents (ids kept) into an empty deployment, durably. :throws Error: when not empty. */
export function importDocuments(rows: Array<[string, string, JSONValue]>): number {
  for (const [, db] of registry) {
    if (Object.keys(db._documents).some((id) => !__tableNameFromId(id)!.startsWith("_"))) {
      throw new Error("import needs an empty deployment: this one already holds documents");
    }
  }
  const docs: Array<[any, Doc, JSONValue]> = [];
  for (const [c, table, json] of rows) { // check everything first: a refused import writes nothing
    const db = registry.get(c);
    if (!db) throw new Error(`unknown component ${JSON.stringify(c)}`);
    const doc = jsonToConvex(json) as Doc;
    if (typeof doc?._id !== "string" || __tableNameFromId(doc._id) !== table) throw new Error(`document ${doc?._id} is not of table ${table}`);
    checkDocument(table, doc);
    docs.push([db, doc, json]);
  }
  const records: Array<[string, string, JSONValue | null]> = [];
  for (const [db, doc, json] of docs) {
    const c = db._componentPath as string;
    db._documents[doc._id] = doc;
    stateOf(db).add(doc);
    db._nextDocId = Math.max(db._nextDocId, Number(doc._id.match(/^[0-9]+/)![0]) + 1);
    db._lastCreationTime = Math.max(db._lastCreationTime, doc._creationTime);
    records.push([c, doc._id, json]);
  }
  for (let i = 0; i < records.length; i += 1000) wal?.append(records.slice(i, i + 1000));
  return records.length;
}
