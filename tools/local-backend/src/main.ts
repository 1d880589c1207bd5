/**
 * `node local-backend.mjs [--port N] [--host 127.0.0.1] [--data DIR] [--scheduler-lag-ms LO..HI] [--read-limits convex|legacy] [--allow-origin URL]… [--verbose]`
 *
 * Prints one JSON line on stdout when listening: `{"event":"listening","url":…,"pid":…}`; logs go to stderr.
 */
import { AsyncResource } from "node:async_hooks";
import { createServer } from "node:http";
import { chmodSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { WebSocketServer } from "ws";
import { Auth } from "./auth.js";
import { Clock } from "./clock.js";
import { ConvexTestEngine } from "./convexTestEngine.js";
import { documentsWritten } from "./durable.js";
import { MAX_HTTP_SOCKETS, MAX_SYNC_CONNECTIONS, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "./capacity.js";
import { HttpApi } from "./http.js";
import { Origins } from "./origins.js";
import { log, setVerbose } from "./log.js";
import { SyncServer } from "./syncProtocol.js";

export const VERSION = "0.1.0";
const MAX_FRAME_BYTES = 20 * 1024 * 1024;

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "3210" },
      host: { type: "string", default: "127.0.0.1" },
      data: { type: "string", default: ".codex-convex/backend" },
      verbose: { type: "boolean", default: false },
      "ping-ms": { type: "string", default: "15000" },
      // Fault injection: every scheduled function runs this much later than asked ("N" or "LO..HI", random).
      "scheduler-lag-ms": { type: "string" },
      // "legacy": the 8 MiB / 16,384-document read limits of older Convex builds (default: today's 16 MiB / 32,000).
      "read-limits": { type: "string", default: "convex" },
      // Web origins (besides loopback ones) whose pages may open the sync WebSocket, e.g. a web app's dev server.
      "allow-origin": { type: "string", multiple: true, default: [] },
    },
  });
  // Everything the backend writes (database, keys, logs, exports) is readable by this user only.
  process.umask(0o077);
  if (values["scheduler-lag-ms"]) {
    const m = values["scheduler-lag-ms"].match(/^(\d+)(?:\.\.(\d+))?$/);
    if (!m) throw new Error(`--scheduler-lag-ms takes N or LO..HI milliseconds, got ${values["scheduler-lag-ms"]}`);
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    (globalThis as { __schedulerLagMs?: () => number }).__schedulerLagMs = () => lo + Math.random() * (hi - lo);
    log("scheduler.lag", { lo, hi });
  }
  setVerbose(values.verbose!);
  // stdout carries only the "listening" line (the launcher reads it, then nobody drains the pipe): function
  // log lines go to the structured log on stderr, and only with --verbose.
  for (const level of ["log", "info", "warn", "debug"] as const) {
    console[level] = (...parts: unknown[]) => {
      if (values.verbose) log("function.log", { level, line: parts.map(String).join(" ") });
    };
  }
  const dataDir = resolve(values.data!);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);

  if (values["read-limits"] !== "convex" && values["read-limits"] !== "legacy") throw new Error(`--read-limits is convex or legacy, got ${values["read-limits"]}`);
  const engine = new ConvexTestEngine({ dataDir: join(dataDir, "db"), readLimits: values["read-limits"] as "convex" | "legacy" });
  await engine.open();
  const auth = await Auth.load(dataDir);
  const clock = new Clock();
  const sync = new SyncServer(engine, auth, clock, Number(values["ping-ms"]));
  // Writes are reported from inside a transaction's async context (convex-test keeps its transaction state in
  // AsyncLocalStorage); the refresh must run as a fresh top-level call, so it is scheduled from the root context.
  let pending = false;
  const inRootContext = AsyncResource.bind((fn: () => void) => fn());
  const publish = () => {
    pending = false;
    clock.commit();
    sync.broadcast(engine.takeWrites());
  };
  const afterWrite = () => {
    if (pending) return;
    pending = true;
    inRootContext(() => setImmediate(publish));
  };
  // A client's mutation has committed: its subscribers' queries start re-running now, before its answer is written
  // (the answer then leaves while they run), not after it in a later turn of the event loop.
  const publishNow = () => inRootContext(publish);
  engine.onWrite(afterWrite);

  const origins = new Origins(values["allow-origin"] as string[]);
  const http = new HttpApi({
    engine, auth, clock, origins, version: VERSION, afterWrite: publishNow, commits: () => documentsWritten,
    stats: () => ({ engine: engine.name, connections: sync.connectionCount, queryRuns: sync.queryRuns, documentsWritten }),
  });
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, http.handler());
  server.maxConnections = MAX_HTTP_SOCKETS;
  server.on("clientError", (e, socket) => {
    // A malformed or timed-out request: answer 400 if the socket still takes it, never crash.
    log("http.client_error", { error: (e as Error).message });
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on("upgrade", (req, socket, head) => {
    socket.on("error", (e) => log("sync.upgrade_error", { error: e.message }));
    const path = new URL(req.url ?? "/", "http://local").pathname;
    const origin = req.headers.origin;
    if (!origins.admits(origin)) {
      // A web page the user happens to open must not reach the backend (browsers always send Origin).
      log("sync.origin_refused", { origin });
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    if (!/^\/api\/(?:[^/]+\/)?sync$/.test(path)) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    if (sync.connectionCount >= MAX_SYNC_CONNECTIONS) {
      log("sync.too_many_connections", { limit: MAX_SYNC_CONNECTIONS });
      const body = JSON.stringify({ code: "TooManyConnections", message: `${MAX_SYNC_CONNECTIONS} sync connections are open (the limit)` });
      socket.end(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nretry-after: 1\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => sync.accept(ws));
  });

  const port = Number(values.port);
  server.listen(port, values.host, () => {
    const addr = server.address();
    const actual = typeof addr === "object" && addr ? addr.port : port;
    const url = `http://${values.host}:${actual}`;
    process.stdout.write(JSON.stringify({ event: "listening", url, pid: process.pid, engine: engine.name, data: dataDir }) + "\n");
    log("listening", { url, engine: engine.name, data: dataDir });
  });

  const shutdown = (signal: string) => {
    log("shutdown", { signal });
    sync.closeAll();
    server.close();
    void engine.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((e) => {
  log("fatal", { error: (e as Error).stack ?? String(e) });
  process.exit(1);
});
