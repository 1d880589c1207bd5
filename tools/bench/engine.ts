// Indexed query latency vs table size on the durable engine and on convex-test's own in-memory store (the baseline), in-process (no network): `node dist/bench-engine.mjs
// memory|durable 10000,100000,1000000`. Prints one JSON line per size. The durable engine stores into SQLite in a
// temporary folder (inserts are committed 5,000 per transaction).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convexTest } from "convex-test";
import { installDurableStorage, takeWrites } from "../local-backend/src/durable.js";
import { componentModules, componentSchema, COMPONENT_NAME } from "../local-backend/src/modules.gen.js";

const engine = process.argv[2] ?? "durable";
const sizes = (process.argv[3] ?? "10000,100000").split(",").map(Number);
const dir = mkdtempSync(join(tmpdir(), "bench-engine-"));
if (engine === "durable") installDurableStorage(dir);
const t: any = convexTest({ schema: componentSchema, modules: componentModules });
void COMPONENT_NAME;

const convs: string[] = await t.run(async (ctx: any) => {
  const ids = [];
  for (let i = 0; i < 10; i++) ids.push(await ctx.db.insert("conversations", { actor: "a7", status: "active", syncState: "unsynced", createdAt: 0, updatedAt: 0 }));
  return ids;
});
let inserted = 0;
async function grow(to: number) {
  const t0 = performance.now();
  const start = inserted;
  while (inserted < to) {
    const n = Math.min(5000, to - inserted);
    const from = inserted;
    await t.run(async (ctx: any) => {
      for (let i = from; i < from + n; i++) {
        // lifecycle_events spread over 100 actors × 10 conversations; each query reads one (actor, conversation)
        await ctx.db.insert("lifecycle_events", { actor: `a${i % 100}`, conversationId: convs[(i >> 7) % 10], kind: "k", message: `m${i}`, at: i });
      }
    });
    inserted += n;
    if (engine === "durable") takeWrites(); // the server hands these to its subscriptions after every commit
  }
  return ((inserted - start) * 1000) / (performance.now() - t0);
}

async function query() {
  const t0 = performance.now();
  const rows = await t.run(async (ctx: any) =>
    await ctx.db.query("lifecycle_events").withIndex("actor_conversationId_at", (q: any) => q.eq("actor", "a7").eq("conversationId", convs[3])).order("desc").take(10));
  return { ms: performance.now() - t0, rows: rows.length };
}

for (const size of sizes) {
  const insertsPerS = await grow(size);
  (globalThis as any).gc?.(); // measure steady state, not the collection the inserts left behind
  const runs = [];
  for (let i = 0; i < 20; i++) runs.push((await query()).ms);
  runs.sort((a, b) => a - b);
  console.log(JSON.stringify({ engine, documents: size, inserts_per_s: Math.round(insertsPerS), query_p50_ms: +runs[10].toFixed(3), query_max_ms: +runs[19].toFixed(3) }));
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
