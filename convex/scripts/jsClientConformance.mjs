// The official Convex JavaScript client against a deployment (the local backend in the test command, or any
// CONVEX_URL): `node scripts/jsClientConformance.mjs URL TOKEN`. ConvexHttpClient (query, consistentQuery,
// function, mutation, action, argument validation errors, ConvexError data) and ConvexClient over the WebSocket
// (auth via a token fetcher, a subscription that sees a mutation, clientClockSkew). Prints one JSON line per check;
// then "ready", waits for a line on stdin (the caller restarts the backend meanwhile) and checks that the same
// ConvexClient reconnects, re-subscribes and sees a new mutation. Exit code 0 only when every check passed.
import { createInterface } from "node:readline";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { ConvexError } from "convex/values";

const [url, token] = process.argv.slice(2);
const api = anyApi;
const results = [];

async function check(name, fn) {
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(JSON.stringify({ name, ok: true, detail }));
  } catch (e) {
    results.push({ name, ok: false });
    console.log(JSON.stringify({ name, ok: false, error: String(e?.stack ?? e) }));
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function within(ms, promise, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
}

const http = new ConvexHttpClient(url, { logger: false });
http.setAuth(token);

await check("http query", async () => {
  const me = await http.query(api.diagnostics.whoami, {});
  assert(me?.subject, `whoami: ${JSON.stringify(me)}`);
  return me.subject;
});
await check("http consistentQuery", async () => {
  const a = await http.consistentQuery(api.diagnostics.whoami, {});
  const b = await http.consistentQuery(api.health.info, {});
  assert(a?.subject && b, "consistent queries answered");
});
await check("http function (any kind)", async () => {
  const me = await http.function(api.diagnostics.whoami, undefined, {});
  assert(me?.subject, "function() ran the query");
});
await check("http mutation and action", async () => {
  const nonce = `js-${Date.now()}-${Math.random()}`;
  assert((await http.mutation(api.diagnostics.ping, { nonce, delayMs: 0 })) === null, "ping returns null");
  const echoed = await http.action(api.diagnostics.echo, { value: { n: 1n, s: "x" } });
  assert(echoed.value.n === 1n && echoed.value.s === "x", `echo: ${JSON.stringify(echoed, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`);
});
await check("argument validation error text", async () => {
  try {
    await http.mutation(api.diagnostics.ping, { nonce: 123, delayMs: 0 });
  } catch (e) {
    assert(String(e.message).includes("ArgumentValidationError: Value does not match validator.\nPath: .nonce"), e.message);
    return;
  }
  throw new Error("a bad argument was accepted");
});
await check("ConvexError data reaches the client", async () => {
  try {
    await http.mutation(api.diagnostics.ping, { nonce: "x", delayMs: 1e12 });
  } catch (e) {
    assert(e instanceof ConvexError && e.data?.code === "E_DIAG_BAD_DELAY", `${e?.constructor?.name}: ${JSON.stringify(e.data)}`);
    return;
  }
  throw new Error("a bad delay was accepted");
});

const client = new ConvexClient(url, { logger: false, unsavedChangesWarning: false });
let fetched = 0;
client.setAuth(async () => {
  fetched += 1;
  return token;
});

async function seenBySubscription(label) {
  const nonce = `js-sub-${label}-${Date.now()}`;
  const seen = new Promise((resolve) => {
    const stop = client.onUpdate(api.diagnostics.getPing, { nonce }, (v) => {
      if (v !== null) {
        stop();
        resolve(v);
      }
    });
  });
  await within(20_000, client.mutation(api.diagnostics.ping, { nonce, delayMs: 0 }), `mutation ${label}`);
  const v = await within(20_000, seen, `subscription ${label}`);
  assert(v.state === "scheduled" || v.state === "done", JSON.stringify(v));
}

await check("websocket subscription sees a mutation", async () => {
  await seenBySubscription("first");
  assert(fetched >= 1, "the token fetcher was used");
  assert(client.connectionState().isWebSocketConnected, "connected");
});

console.log("ready");
const rl = createInterface({ input: process.stdin });
for await (const _line of rl) break;

await check("reconnects after a backend restart", async () => {
  await seenBySubscription("after-restart");
});

await client.close();
const failed = results.filter((r) => !r.ok).length;
console.log(JSON.stringify({ done: true, checks: results.length, failed }));
process.exit(failed === 0 ? 0 : 1);
