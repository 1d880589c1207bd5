// The live path's backend work alone, in-process on the durable engine (no HTTP, no sync protocol, no other
// process): a write of 17 deltas to a streaming message (`chat:ingestEvents`, as the host sends it), then the
// watcher's `chat:listStreamingMessages` re-run, N times. Bundled by `node tools/local-backend/build.mjs --bench
// streampath`; run as `node dist/bench-streampath.mjs N [PACE_MS]` (PACE_MS between iterations: idle as a live
// stream leaves the backend between writes). Prints one JSON line (p50 ms per write, per re-run; CPU ms per both).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConvexTestEngine } from "../local-backend/src/convexTestEngine.js";
import type { Caller } from "../local-backend/src/engine.js";

const n = Number(process.argv[2] ?? "500");
const paceMs = Number(process.argv[3] ?? "0"); // between iterations (0: back to back)
const dir = mkdtempSync(join(tmpdir(), "bench-streampath-"));
const engine = new ConvexTestEngine({ dataDir: dir });
await engine.open();
const who = "https://dev.codex-convex.local|bench";
const caller: Caller = { kind: "user", identity: { subject: "bench", issuer: "https://dev.codex-convex.local", tokenIdentifier: who }, expiresAt: Date.now() + 3600e3 };
async function call(path: string, args: any): Promise<any> {
  const r = await engine.run(await engine.resolve(path, "any", caller), args, caller);
  if (!r.ok) throw new Error(`${path}: ${r.message}`);
  return r.value;
}
const { conversation } = await call("chat:syncOpenConversationBinding", { threadId: "th" });
const conversationId = conversation.conversationId;
let seq = 0;
async function ingest(events: any[]) {
  await call("chat:ingestEvents", { conversationId, streamId: "bench", seq, events });
  seq += events.length;
}
await ingest([{ type: "turnStarted", threadId: "th", turnId: "t1", at: 1 }]);
// A message of 1,000 deltas (as `bench live` streams), then the next: each written 17 deltas at a time (the CPU
// figure includes the item events that start and end each message, one pair per 59 writes).
const PER_MESSAGE = 59;
const item = (k: number, phase: string, text: string) => ({ type: "item", threadId: "th", turnId: "t1", itemId: `m${k}`, phase, itemType: "agentMessage", part: 0, partCount: 1, at: 1, data: JSON.stringify({ type: "agentMessage", id: `m${k}`, text }) });
let deltas = 0;
const write: number[] = [];
const rerun: number[] = [];
let cpu0 = process.cpuUsage();
let shown = "";
for (let i = 0; i < n + 50; i++) {
  if (i === 50) cpu0 = process.cpuUsage();
  const k = Math.floor(i / PER_MESSAGE);
  if (i % PER_MESSAGE === 0) {
    if (k > 0) await ingest([item(k - 1, "completed", shown)]);
    await ingest([item(k, "started", "")]);
    deltas = 0;
    shown = "";
  }
  const text = Array.from({ length: 17 }, (_, j) => `tok${deltas + j} `).join("");
  const t0 = performance.now();
  await ingest([{ type: "messageDelta", threadId: "th", turnId: "t1", itemId: `m${k}`, firstDelta: deltas, deltaCount: 17, text, at: 2 }]);
  const t1 = performance.now();
  engine.takeWrites();
  await call("chat:listStreamingMessages", { conversationId });
  const t2 = performance.now();
  deltas += 17;
  shown += text;
  if (i >= 50) { write.push(t1 - t0); rerun.push(t2 - t1); }
  if (paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
}
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ n, write_p50_ms: +p50(write).toFixed(3), rerun_p50_ms: +p50(rerun).toFixed(3), cpu_ms_per_write_and_rerun: +((cpu.user + cpu.system) / 1000 / n).toFixed(3) }));
await engine.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
