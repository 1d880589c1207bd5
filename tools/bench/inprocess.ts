// Baseline for tools/bench/backend.py: the same mutation, called in-process on convex-test (no network, no
// protocol). Bundled by `node tools/local-backend/build.mjs --bench`; run as `node dist/bench-inprocess.mjs N`.
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { appModules, componentModules, componentSchema, COMPONENT_NAME } from "../local-backend/src/modules.gen.js";

const n = Number(process.argv[2] ?? "300");
const t: any = convexTest({ schema: undefined, modules: appModules, transactionLimits: true });
t.registerComponent(COMPONENT_NAME, componentSchema, componentModules);
const alice = t.withIdentity({ subject: "bench", issuer: "https://dev.codex-convex.local", tokenIdentifier: "https://dev.codex-convex.local|bench" });
const ping = makeFunctionReference<"mutation">("diagnostics:ping") as any;
for (let i = 0; i < 20; i++) await alice.mutation(ping, { nonce: `warm-${i}`, delayMs: 60000 });
const t0 = performance.now();
for (let i = 0; i < n; i++) await alice.mutation(ping, { nonce: `n-${i}`, delayMs: 60000 });
const ms = performance.now() - t0;
console.log(JSON.stringify({ n, mutations_per_s: (n * 1000) / ms }));
process.exit(0);
