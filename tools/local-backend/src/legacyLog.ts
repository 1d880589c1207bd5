/**
 * One-time move of data written by the first durable engine (0.1.0: `snapshot.jsonl` + `wal.jsonl`, lines of
 * `{"w": [[component, id, doc | null], …]}`) into the SQLite store. The files are renamed `*.migrated` after the
 * store holds their documents, so a crash during the move simply repeats it.
 */
import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { jsonToConvex, type JSONValue } from "convex/values";
import { log } from "./log.js";
import { countersAfter, type Counters, type Doc, type Store, type Write } from "./store.js";

export function migrateLegacyLog(dir: string, store: Store) {
  const files = ["snapshot.jsonl", "wal.jsonl"].map((f) => join(dir, f)).filter(existsSync);
  if (files.length === 0) return;
  const latest = new Map<string, JSONValue | null>();
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]) continue;
      let rec: { w: Array<[string, string, JSONValue | null]> };
      try {
        rec = JSON.parse(lines[i]);
      } catch {
        if (i >= lines.length - 2) break; // a torn last write: it was never acknowledged
        throw new Error(`${file}:${i + 1} is corrupt`);
      }
      for (const [c, id, doc] of rec.w) latest.set(JSON.stringify([c, id]), doc);
    }
  }
  const writes: Write[] = [];
  const counters = new Map<string, Counters>();
  for (const [key, json] of latest) {
    if (json === null) continue;
    const [comp, id] = JSON.parse(key) as [string, string];
    const doc = jsonToConvex(json) as Doc;
    writes.push({ comp, id, before: store.get(comp, id), after: doc });
    counters.set(comp, countersAfter(counters.get(comp) ?? store.component(comp) ?? { nextId: 10000, lastCreation: 0 }, doc));
  }
  store.commit(writes, counters);
  for (const file of files) renameSync(file, `${file}.migrated`);
  log("durable.migrated", { documents: writes.length, from: files });
}
