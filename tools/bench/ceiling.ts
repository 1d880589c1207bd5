// The physical ceiling for an import: the same final documents an import left (one JSON line each: [table, doc]),
// inserted into a fresh durable engine rooted on the component's schema (same tables, same indexes) through plain
// inserts in maximal batches — at most half of Convex's per-transaction write limits (8,000 documents, 8 MiB), the
// bound our own steps keep — with no reads at all: `node dist/bench-ceiling.mjs DOCS.ndjson`. Prints one JSON line.
// Every insert is checked as the backend checks every write, and as Convex does: the schema's validators, the
// transaction's limits and each document's own (size, nesting, array length, field names: limits.ts).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convexTest } from "convex-test";
import { jsonToConvex, type JSONValue } from "convex/values";
import { installDurableStorage, takeWrites } from "../local-backend/src/durable.js";
import { transactionLimits } from "../local-backend/src/callMetrics.js";
import { enforceDocumentLimits } from "../local-backend/src/limits.js";
import { componentModules, componentSchema } from "../local-backend/src/modules.gen.js";

const MAX_DOCS = 8_000;
const MAX_BYTES = 8 * 1024 * 1024;

const rows = readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean).map((line) => {
  const [table, doc] = JSON.parse(line) as [string, Record<string, JSONValue>];
  const { _id, _creationTime, ...fields } = doc;
  void _id;
  void _creationTime;
  return { table, doc: jsonToConvex(fields) as Record<string, any>, bytes: line.length };
});
const dir = mkdtempSync(join(tmpdir(), "bench-ceiling-"));
installDurableStorage(dir);
enforceDocumentLimits();
const t: any = convexTest({ schema: componentSchema, modules: componentModules, transactionLimits: transactionLimits("convex") });

const t0 = performance.now();
const cpu0 = process.cpuUsage();
let transactions = 0;
for (let i = 0; i < rows.length; ) {
  let j = i;
  let bytes = 0;
  while (j < rows.length && j - i < MAX_DOCS && bytes + rows[j].bytes <= MAX_BYTES) bytes += rows[j++].bytes;
  if (j === i) j = i + 1; // a document over the batch budget goes alone
  const batch = rows.slice(i, j);
  await t.run(async (ctx: any) => {
    for (const r of batch) await ctx.db.insert(r.table, r.doc);
  });
  takeWrites(); // the server hands these to its subscriptions after every commit
  transactions += 1;
  i = j;
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6; // beside wall time: less swayed by what else the machine runs
console.log(JSON.stringify({ documents: rows.length, seconds: +seconds.toFixed(3), cpu_seconds: +cpuSeconds.toFixed(3), transactions, documents_per_s: Math.round(rows.length / seconds) }));
rmSync(dir, { recursive: true, force: true });
process.exit(0);
