// Storage as the database grows past SQLite's page cache, in-process on the durable engine:
// `node dist/bench-storage.mjs 100,500,1000,2000` (megabytes of database file). Documents are realistic in size:
// 1–8 KB of JSON each, and every 64th a 256 KB part. At each size it prints one JSON line: inserts/s over the last
// stretch (committed ~2 MiB per transaction, like an import step), an indexed query's p50 (10 newest rows of one
// actor and conversation) and an id lookup's p50 (ids drawn from the whole table, so they miss every cache but SQLite's
// and the OS's).
import { execSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convexTest } from "convex-test";
import { installDurableStorage, takeWrites } from "../local-backend/src/durable.js";
import { Store } from "../local-backend/src/store.js";
import { componentModules, componentSchema } from "../local-backend/src/modules.gen.js";

const sizesMb = (process.argv[2] ?? "100,500,1000,2000").split(",").map(Number);
const dir = mkdtempSync(join(tmpdir(), "bench-storage-"));
installDurableStorage(dir);
const t: any = convexTest({ schema: componentSchema, modules: componentModules });

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const ACTORS = 10; // × 10 conversations: every (actor, conversation) has ≥ 10 rows from the first size on, so each query returns 10
const convs: string[] = await t.run(async (ctx: any) => {
  const ids = [];
  for (let i = 0; i < 10; i++) ids.push(await ctx.db.insert("conversations", { actor: "a0", status: "active", syncState: "unsynced", createdAt: 0, updatedAt: 0 }));
  return ids;
});

function details(i: number): string {
  const bytes = i % 64 === 63 ? 256 * 1024 : 1024 + Math.floor(rand() * 7 * 1024);
  const words: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = `w${Math.floor(rand() * 1e6)}`;
    words.push(w);
    n += w.length + 3;
  }
  return JSON.stringify({ i, words });
}

const dbFiles = () => ["data.sqlite3", "data.sqlite3-wal"].map((f) => join(dir, f)).filter(existsSync);
const dbBytes = () => dbFiles().reduce((a, f) => a + statSync(f).size, 0);
const sample: string[] = []; // every 4th id: lookups spread over the whole table
let inserted = 0;

let jsonBytes = 0;
async function growTo(mb: number): Promise<{ docs: number; bytes: number; seconds: number }> {
  const t0 = performance.now();
  const start = inserted;
  const startBytes = jsonBytes;
  while (dbBytes() < mb * 2 ** 20) {
    const batch: Array<{ i: number; json: string }> = [];
    let bytes = 0;
    while (bytes < 2 * 2 ** 20 && batch.length < 1000) {
      const json = details(inserted + batch.length);
      batch.push({ i: inserted + batch.length, json });
      bytes += json.length;
    }
    jsonBytes += bytes;
    const ids: string[] = await t.run(async (ctx: any) => {
      const out = [];
      for (const { i, json } of batch) {
        out.push(await ctx.db.insert("lifecycle_events", { actor: `a${i % ACTORS}`, conversationId: convs[(i >> 7) % 10], kind: "k", message: `m${i}`, detailsJson: json, at: i }));
      }
      return out;
    });
    for (let k = 0; k < ids.length; k++) if ((inserted + k) % 4 === 0) sample.push(ids[k]);
    inserted += batch.length;
    takeWrites(); // the server hands these to its subscriptions after every commit
  }
  return { docs: inserted - start, bytes: jsonBytes - startBytes, seconds: (performance.now() - t0) / 1000 };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
const p50 = (xs: number[]) => pct(xs, 0.5);

async function queryMs(): Promise<number> {
  const actor = `a${Math.floor(rand() * ACTORS)}`;
  const conv = convs[Math.floor(rand() * 10)];
  const t0 = performance.now();
  const rows = await t.run(async (ctx: any) =>
    await ctx.db.query("lifecycle_events").withIndex("actor_conversationId_at", (q: any) => q.eq("actor", actor).eq("conversationId", conv)).order("desc").take(10));
  if (rows.length !== 10) throw new Error(`a query returned ${rows.length} rows, not 10: the sizes are not comparable`);
  return performance.now() - t0;
}

/** A fixed CPU task (parse and print a 4 KB document 200 times): how fast this shared machine runs right now. */
const CALIBRATION_DOC = details(0);
function calibrationMs(): number {
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) JSON.stringify(JSON.parse(CALIBRATION_DOC));
  return performance.now() - t0;
}

const looked = new Set<string>();
let raw: Store | null = null; // a second connection to the same file: the storage layer's own id lookup, no engine
function rawLookupUs(): number {
  raw ??= new Store(dir);
  let id = sample[Math.floor(rand() * sample.length)];
  while (looked.has(id)) id = sample[Math.floor(rand() * sample.length)];
  looked.add(id);
  const t0 = performance.now();
  if (raw.get("", id) === null) throw new Error(`raw lookup lost ${id}`);
  return (performance.now() - t0) * 1000;
}
async function lookupMs(): Promise<number> {
  // an id never read before: the engine's own cache of parsed documents cannot answer it
  let id = sample[Math.floor(rand() * sample.length)];
  while (looked.has(id)) id = sample[Math.floor(rand() * sample.length)];
  looked.add(id);
  const t0 = performance.now();
  const doc = await t.run(async (ctx: any) => await ctx.db.get(id));
  if (doc === null) throw new Error(`lost ${id}`);
  return performance.now() - t0;
}

/** Read the database files through once, so the OS's file cache holds all of them: the warm rounds measure a machine
 * whose memory holds the database (the cold runs of the sizes before dropped that cache, and the file's older part
 * would otherwise come from the disk while its newer part, written since, does not). */
function intoFileCache() {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const f of dbFiles()) {
    const fd = openSync(f, "r");
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

for (const mb of sizesMb) {
  const grown = await growTo(mb);
  intoFileCache();
  (globalThis as any).gc?.();
  const queries: number[] = [], lookups: number[] = [];
  const roundQ: number[] = [], roundL: number[] = [], normQ: number[] = [], normL: number[] = [], roundR: number[] = [];
  // Five rounds a second apart, each 40 queries then up to 100 fresh lookups. This shared machine has slow spells
  // (a whole round ~1.5× slower): the lowest round median is the engine's cost, the median of all samples is shown too.
  for (let round = 0; round < 5; round++) {
    const q: number[] = [], l: number[] = [];
    const c0 = calibrationMs();
    for (let i = 0; i < 40; i++) q.push(await queryMs());
    for (let i = 0; i < Math.min(100, (sample.length - looked.size) / 2); i++) l.push(await lookupMs());
    const r: number[] = [];
    for (let i = 0; i < Math.min(100, (sample.length - looked.size) / 2); i++) r.push(rawLookupUs());
    roundR.push(p50(r));
    const cpu = (c0 + calibrationMs()) / 2;
    roundQ.push(p50(q));
    roundL.push(p50(l));
    normQ.push(p50(q) / cpu);
    normL.push(p50(l) / cpu);
    queries.push(...q);
    lookups.push(...l);
    await new Promise((r) => setTimeout(r, 1000));
  }
  // Cold: the OS drops its file cache (root only; skipped elsewhere), as on a machine whose memory is smaller than the
  // database: every lookup of a fresh id now reads the disk for what SQLite's own cache does not hold.
  let cold: { engine_ms: number; storage_us: number } | null = null;
  try {
    execSync("sync");
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    const e: number[] = [], r: number[] = [];
    for (let i = 0; i < Math.min(100, (sample.length - looked.size) / 2); i++) e.push(await lookupMs());
    for (let i = 0; i < Math.min(100, (sample.length - looked.size) / 2); i++) r.push(rawLookupUs());
    cold = { engine_ms: +p50(e).toFixed(3), storage_us: +p50(r).toFixed(1) };
  } catch {
    cold = null;
  }
  console.log(JSON.stringify({
    cold_lookup_p50_ms: cold?.engine_ms ?? null, cold_storage_lookup_p50_us: cold?.storage_us ?? null,
    target_mb: mb, db_mb: Math.round(dbBytes() / 2 ** 20), documents: inserted,
    inserts_per_s: Math.round(grown.docs / grown.seconds), insert_mb_per_s: +(grown.bytes / 2 ** 20 / grown.seconds).toFixed(1),
    query_p50_ms: +Math.min(...roundQ).toFixed(3), lookup_p50_ms: +Math.min(...roundL).toFixed(3),
    // the same, in units of a fixed CPU task timed in the same round (this machine's speed at that moment)
    query_p50_cpu_units: +Math.min(...normQ).toFixed(3), lookup_p50_cpu_units: +Math.min(...normL).toFixed(3),
    raw_lookup_p50_us: +Math.min(...roundR).toFixed(1),
    query_p50_all_ms: +p50(queries).toFixed(3), lookup_p50_all_ms: +p50(lookups).toFixed(3),
    query_p90_ms: +pct(queries, 0.9).toFixed(3), lookup_p90_ms: +pct(lookups, 0.9).toFixed(3), lookups: lookups.length,
  }));
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
