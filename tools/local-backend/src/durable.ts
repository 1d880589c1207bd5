/**
 * The durable, indexed engine under convex-test's execution .
 *
 * convex-test runs the functions (validators, transactions, nested rollback, scheduler, transaction limits); this
 * module moves its storage into SQLite (store.ts) by patching its DatabaseFake:
 *  - reads go to SQLite: `db.get` by primary key; queries, full table scans and `.paginate()` as key ranges of an
 *    index, streamed in batches and merged with the transaction's own writes (visible.ts), so a query's cost
 *    follows what it reads, not the table size;
 *  - a top-level commit of every component is one SQLite transaction: a `kill -9` never leaves part of a mutation,
 *    and no write is acknowledged (an HTTP answer, a sync-protocol mutation or action answer) before the commits
 *    made so far are on disk (`whenDurable`; the store syncs its WAL off the main thread; query results do not
 *    wait: store.ts);
 *  - every query run records the index key ranges it read (ReadSet) and every commit the keys it wrote
 *    (WriteSet), so a subscription re-runs only when a commit wrote into a range it read.
 * Pending writes of the running transaction stay in convex-test's in-memory write levels until the commit.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { jsonToConvex, type JSONValue, type Value } from "convex/values";
import { __DatabaseFake, __evaluateFilter, __tableNameFromId } from "convex-test";
import { encodeKey, prefixEnd, rangeOf, type KeyRange, type RangeExpr } from "./keys.js";
import { migrateLegacyLog } from "./legacyLog.js";
import { paginateIndex } from "./paginate.js";
import { valueProblem } from "./argumentValidation.js";
import { checkDocument } from "./limits.js";
import { log } from "./log.js";
import { ReadSet, WriteSet } from "./readSet.js";
import { countersAfter, Store, tableOf, type Counters, type Doc, type Receipt, type Write } from "./store.js";
import { Pending, visibleEntries, type Entry, type Found } from "./visible.js";

/** The index key ranges a query reads, collected while it runs (per execution: async-local). */
export const readSets = new AsyncLocalStorage<ReadSet>();
/**
 * The sync-protocol ids of the running mutation: its commit stores a receipt with the writes. Functions it schedules
 * inherit this async context, so a receipt is spent by the first commit (the mutation's own: transactions are
 * serialized) or when the call returns.
 */
export const receipts = new AsyncLocalStorage<Receipt & { spent: boolean }>();

function spendReceipt(): Receipt | undefined {
  const r = receipts.getStore();
  if (!r || r.spent) return undefined;
  r.spent = true;
  return { session: r.session, request: r.request };
}
/** Documents written by top-level commits since start (benchmarks read it from /health). */
export let documentsWritten = 0;
let written = new WriteSet();

/** Index keys written by commits since the last call. */
export function takeWrites(): WriteSet {
  const w = written;
  written = new WriteSet();
  return w;
}

let store: Store | null = null;
/** Component path → its database, in construction order (= the order convex-test commits them in). */
const registry = new Map<string, any>();
let staged: Write[] = [];
/** The running transaction's writes per database, keyed by its write-level stack (stashed stacks see none). */
const pendings = new WeakMap<object, Pending>();
let flushQueued = false;

const WHOLE: KeyRange = { lo: Buffer.alloc(0), hi: null };

function S(): Store {
  if (store === null) throw new Error("the durable engine is not installed");
  return store;
}

function noteRange(db: any, table: string, index: string, range: KeyRange) {
  readSets.getStore()?.add(`${db._componentPath}/${table}/${index}`, range);
}

function pointRange(id: string): KeyRange {
  const lo = encodeKey([id]);
  return { lo, hi: prefixEnd(lo) };
}

/**
 * The stored index and key range a query source reads: an index range (null when it is not a key range of a
 * declared index), or a full table scan (all of `by_creation_time`, the order convex-test scans in).
 */
function indexRange(db: any, source: any): Found | null {
  if (source.type === "FullTableScan") {
    const [def] = S().indexesOf(db._componentPath, source.tableName, "by_creation_time");
    return { table: source.tableName, index: "by_creation_time", ix: def.ix, range: WHOLE };
  }
  if (source.type !== "IndexRange") return null;
  const [table, index] = (source.indexName as string).split(".");
  const [def] = S().indexesOf(db._componentPath, table, index); // none when not declared: convex-test says so
  if (!def) return null;
  const exprs = (source.range as Array<{ type: RangeExpr["type"]; fieldPath: string; value: JSONValue }>).map((e) => ({ ...e, value: jsonToConvex(e.value) as Value }));
  const range = rangeOf(def.fields, exprs);
  return range === null ? null : { table, index, ix: def.ix, range };
}

/** Per component database: the id counter when its current top-level transaction began. */
const txFirstId = new WeakMap<object, number>();
/** Staged writes of documents their own transaction created. */
const fresh = new WeakSet<Write>();

/** The counter part of a convex-test id (`<zero-padded counter><table>`). */
function idCounter(id: string): number {
  const m = /^\d+/.exec(id);
  return m === null ? -1 : Number(m[0]);
}

/** Apply the staged top-level writes of every component in one SQLite transaction. */
function flush() {
  flushQueued = false;
  if (staged.length === 0) return;
  const writes = staged;
  staged = [];
  const s = S();
  const counters = new Map<string, Counters>();
  for (const w of writes) {
    // A document this transaction created has no earlier version: no lookup (imports insert nearly every row).
    w.before = fresh.has(w) ? null : s.get(w.comp, w.id);
    const db = registry.get(w.comp);
    counters.set(w.comp, { nextId: db._nextDocId, lastCreation: db._lastCreationTime });
  }
  try {
    s.commit(writes, counters, (space, key) => written.add(space, key), spendReceipt());
  } catch (e) {
    // A commit that cannot be made durable must not be acknowledged: stop (clients reconnect and retry).
    log("durable.commit_failed", { error: (e as Error).stack ?? String(e) });
    process.exit(70);
  }
  documentsWritten += writes.length;
}

/** Patch convex-test's DatabaseFake (once per process) to keep its data in SQLite under `dir`. */
export function installDurableStorage(dir: string) {
  store = new Store(dir);
  store.onSyncFailure = (e) => {
    // Commits that cannot be made durable must not be acknowledged: stop (clients reconnect and retry).
    log("durable.sync_failed", { error: e.stack ?? String(e) });
    process.exit(70);
  };
  if (store.migratedFrom) log("store.migrated", { fromLayout: store.migratedFrom.layout, ms: store.migratedFrom.ms });
  migrateLegacyLog(dir, store);
  const P = __DatabaseFake.prototype;
  const orig = { validateSchema: P.validateSchema, commit: P.commit, startQuery: P.startQuery, queryNext: P.queryNext };

  // A write the schema refuses, in Convex's words (an app matching on them sees the same text as on a deployment).
  validateDocument = P._validate;
  P._validate = function (this: any, table: string, fields: Record<string, unknown>) {
    matchSchema(this, table, fields, () => `Failed to insert or update a document in table "${table}" because it does not match the schema`);
  };

  P.validateSchema = function (this: any) {
    const r = orig.validateSchema.call(this);
    const comp = this._componentPath as string;
    registry.set(comp, this);
    const tables = new Map<string, Array<{ name: string; fields: string[] }>>();
    for (const [table, def] of this._schema?.tables ?? []) {
      tables.set(table, def.indexes.map((i: { indexDescriptor: string; fields: string[] }) => ({ name: i.indexDescriptor, fields: i.fields })));
    }
    S().useSchema(comp, tables);
    checkStoredAgainstSchema(this);
    const saved = S().component(comp);
    if (saved) {
      this._nextDocId = saved.nextId;
      this._lastCreationTime = saved.lastCreation;
    }
    return r;
  };

  const addWrite = P._addWrite;
  P._addWrite = function (this: any, id: string, value: Doc | null) {
    const r = addWrite.call(this, id, value);
    let p = pendings.get(this._writes);
    if (!p) pendings.set(this._writes, (p = new Pending(S(), this._componentPath)));
    p.write(id, value);
    return r;
  };

  const rollbackWrites = P.rollbackWrites;
  P.rollbackWrites = function (this: any) {
    const r = rollbackWrites.call(this);
    if (this._writes.length === 0) pendings.delete(this._writes);
    else pendings.set(this._writes, Pending.of(S(), this._componentPath, this._writes));
    return r;
  };

  P.get = function (this: any, tableName: string | undefined, id: string) {
    this._validateId(tableName, id);
    const table = __tableNameFromId(id);
    if (table === null) return null;
    noteRange(this, table, "by_id", pointRange(id));
    for (let i = this._writes.length - 1; i >= 0; i--) {
      const w = this._writes[i][id];
      if (w !== undefined) return w;
    }
    return S().get(this._componentPath, id);
  };

  P.commit = function (this: any, commitTs: unknown = null) {
    if (this._writes.length !== 1) return orig.commit.call(this, commitTs);
    // Let convex-test resolve the commit (timestamps, deletions) into an empty object, then stage what it wrote.
    const ids = Object.keys(this._writes[0]);
    const captured: Record<string, Doc> = {};
    const saved = this._documents;
    this._documents = captured;
    try {
      orig.commit.call(this, commitTs);
    } finally {
      this._documents = saved;
    }
    pendings.delete(this._writes);
    const firstNew: number = txFirstId.get(this) ?? Infinity;
    for (const id of ids) {
      const w = { comp: this._componentPath, id, before: null, after: captured[id] ?? null };
      if (idCounter(id) >= firstNew) fresh.add(w);
      staged.push(w);
    }
    const last = [...registry.values()].pop();
    if (this === last) flush();
    else if (!flushQueued && staged.length > 0) {
      flushQueued = true;
      queueMicrotask(flush); // the other components commit synchronously right after this one
    }
  };

  P._iterateDocs = function (this: any, tableName: string, callback: (d: Doc) => void) {
    noteRange(this, tableName, "by_creation_time", WHOLE);
    const pending = pendings.get(this._writes)?.table(tableName) ?? new Map<string, Doc | null>();
    for (const doc of S().tableDocuments(this._componentPath, tableName)) if (!pending.has(doc._id)) callback(doc);
    for (const doc of pending.values()) if (doc !== null) callback(doc);
  };

  // Streaming index ranges: a query over an index range or a whole table (filters and a limit allowed) reads
  // documents batch by batch from the index, merged with what the transaction itself wrote.
  type Lazy = { entries: Iterator<Entry>; comp: string; filters: unknown[]; left: number };
  const lazy = new WeakMap<object, Map<number, Lazy>>();
  P.startQuery = function (this: any, query: any) {
    const source = query.source;
    const found = indexRange(this, source);
    const plain = query.operators.every((op: object) => "filter" in op || "limit" in op);
    if (found && plain) {
      noteRange(this, found.table, found.index, found.range);
      const id = this._nextQueryId++;
      if (!lazy.has(this)) lazy.set(this, new Map());
      const limit = query.operators.find((op: { limit?: number }) => "limit" in op)?.limit;
      lazy.get(this)!.set(id, {
        entries: visibleEntries(S(), pendings.get(this._writes), found, source.order ?? "asc")[Symbol.iterator](),
        comp: this._componentPath,
        filters: query.operators.filter((op: object) => "filter" in op).map((op: { filter: unknown }) => op.filter),
        left: limit ?? Infinity,
      });
      return id;
    }
    return orig.startQuery.call(this, query);
  };
  const origStartTx = P.startTransaction;
  P.startTransaction = function (this: any) {
    if (this._writes.length === 0) {
      lazy.get(this)?.clear(); // a new top-level transaction: older queries are done
      txFirstId.set(this, this._nextDocId); // ids from this counter on are created by this transaction
    }
    return origStartTx.call(this);
  };
  P.queryNext = function (this: any, queryId: number) {
    const q = lazy.get(this)?.get(queryId);
    if (!q) return orig.queryNext.call(this, queryId);
    while (q.left > 0) {
      const next = q.entries.next();
      if (next.done) break;
      const doc = next.value.doc ?? S().get(q.comp, next.value.id);
      if (doc !== null && q.filters.every((f) => __evaluateFilter(doc, f))) {
        q.left -= 1;
        return { value: doc, done: false };
      }
    }
    lazy.get(this)!.delete(queryId);
    return { value: null, done: true };
  };

  const origPaginate = P.paginate;
  P.paginate = function (this: any, args: any) {
    const source = args.query.source;
    const found = indexRange(this, source);
    if (found === null) return origPaginate.call(this, args);
    noteRange(this, found.table, found.index, found.range);
    const comp = this._componentPath;
    return paginateIndex({
      fields: S().indexesOf(comp, found.table, found.index)[0].fields,
      range: found.range,
      order: source.order ?? "asc",
      filters: args.query.operators.filter((op: object) => "filter" in op).map((op: { filter: unknown }) => op.filter),
      entries: (range, order) => visibleEntries(S(), pendings.get(this._writes), { ...found, range }, order),
      get: (id) => S().get(comp, id),
      encodeCursor: (doc, fields) => this._encodeCursor(doc, fields),
    }, args);
  };
}

/** Scheduled functions that had not finished when the process stopped. */
export function unfinishedScheduledFunctions(): Array<{ component: string; id: string; doc: Doc }> {
  const out = [];
  for (const comp of registry.keys()) {
    for (const doc of S().tableDocuments(comp, "_scheduled_functions")) {
      if (doc.state?.kind === "pending" || doc.state?.kind === "inProgress") out.push({ component: comp, id: doc._id, doc });
    }
  }
  return out;
}

/** Drop a stale scheduled-function row (it is scheduled again under a new id). */
export function forgetScheduled(component: string, id: string) {
  const before = S().get(component, id);
  if (before) S().commit([{ comp: component, id, before, after: null }], new Map());
}

/** Every user document (system tables left out): `[component, table, doc]`, for `backend export`. */
export function* exportDocuments(): Generator<[string, string, JSONValue]> {
  for (const row of S().allDocuments()) if (!row[1].startsWith("_")) yield row;
}

/**
 * A document against its component's schema, as Convex checks an import (`npx convex import`) and every stored
 * document when a deploy changes the schema: a document the schema does not accept is refused by id and table.
 */
function checkSchema(db: any, table: string, doc: Doc) {
  const { _id, _creationTime, ...fields } = doc;
  matchSchema(db, table, fields, () => `Schema validation failed.\nDocument with ID "${_id}" in table "${table}" does not match the schema`);
}

/** convex-test's check of a document's fields; a refusal in Convex's words: `refusal()`, then why. */
function matchSchema(db: any, table: string, fields: Record<string, unknown>, refusal: () => string): void {
  try {
    validateDocument.call(db, table, fields);
  } catch (e) {
    throw new Error(`${refusal()}: ${problemOf(db, table, fields, e)}`);
  }
}

/** Convex's words for why a document does not match its table's validator (convex-test's own when they agree). */
function problemOf(db: any, table: string, fields: Record<string, unknown>, e: unknown): string {
  const type = db._schema?.tables.get(table)?.documentType;
  return (type && valueProblem(type, fields as Value)) || (e as Error).message;
}

/** convex-test's document validation (before the patch below gives it Convex's wording). */
let validateDocument: (this: any, table: string, fields: Record<string, unknown>) => void;

/**
 * Every stored document of a component against its schema when the schema differs from the one they were last
 * checked against (an upgrade of the package over an existing data folder), as Convex checks them when a deploy
 * changes the schema: a document the new schema refuses stops the backend from starting, naming it (Convex refuses
 * the deploy). Once per schema: a start with the same schema reads nothing.
 */
function checkStoredAgainstSchema(db: any) {
  const comp = db._componentPath as string;
  if (db._schema === null) return;
  const fingerprint = JSON.stringify({ validation: db._schema.schemaValidation, tables: [...db._schema.tables] });
  if (S().schemaChecked(comp) === fingerprint) return;
  const t0 = performance.now();
  let checked = 0;
  for (const table of db._schema.tables.keys()) {
    for (const doc of S().tableDocuments(comp, table)) {
      checkSchema(db, table, doc);
      checked += 1;
    }
  }
  S().markSchemaChecked(comp, fingerprint);
  if (checked > 0) log("schema.checked", { component: comp || "app", documents: checked, ms: Math.round(performance.now() - t0) });
}

/** Load exported documents (ids kept) into an empty deployment, in one transaction. :throws Error: when refused. */
export function importDocuments(rows: Array<[string, string, JSONValue]>): number {
  if (S().hasUserDocuments()) throw new Error("import needs an empty deployment: this one already holds documents");
  const writes: Write[] = [];
  for (const [c, table, json] of rows) { // check everything first: a refused import writes nothing
    const db = registry.get(c);
    if (!db) throw new Error(`unknown component ${JSON.stringify(c)}`);
    const doc = jsonToConvex(json) as Doc;
    if (typeof doc?._id !== "string" || __tableNameFromId(doc._id) !== table) throw new Error(`document ${doc?._id} is not of table ${table}`);
    checkDocument(table, doc);
    checkSchema(db, table, doc);
    writes.push({ comp: c, id: doc._id, before: null, after: doc });
  }
  const counters = new Map<string, Counters>();
  for (const w of writes) {
    const db = registry.get(w.comp);
    const c = countersAfter({ nextId: db._nextDocId, lastCreation: db._lastCreationTime }, w.after!);
    db._nextDocId = c.nextId;
    db._lastCreationTime = c.lastCreation;
    counters.set(w.comp, c);
  }
  S().commit(writes, counters, (space, key) => written.add(space, key));
  return writes.length;
}

/** The receipt of a mutation that committed (see Store.receipt). */
export function receiptOf(r: Receipt): { result: string | null } | null {
  return S().receipt(r);
}

export function keepResult(r: Receipt, result: string) {
  S().keepResult(r, result);
}

/** How many commits were made so far (`whenDurable(seq)` waits for those). */
export function commitSeq(): number {
  return store?.commitSeq ?? 0;
}

/**
 * Undefined when the commits made so far (or the first `seq`) are on disk, else a promise of it: whatever
 * acknowledges a write waits for it (no durable storage installed: nothing to wait for).
 */
export function whenDurable(seq?: number): Promise<void> | undefined {
  return store?.whenDurable(seq);
}

export function closeDurableStorage() {
  store?.close();
  store = null;
}
