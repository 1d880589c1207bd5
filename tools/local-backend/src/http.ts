/**
 * Convex's HTTP API: `POST /api/query|mutation|action` (`{path, args, format}`), `GET /api/query?path&args`,
 * `POST /api/run/<mod>/<fn>`, `POST /api/function` (any kind), `POST /api/query_ts`, `POST /api/query_at_ts`
 * (`consistentQuery`), `POST /api/query_batch`, plus `GET /version`, `GET /health` and the dev issuer's
 * `GET /.well-known/jwks.json`.
 * Success → 200 `{status:"success", value, logLines}`; function error → 560 `{status:"error", errorMessage,
 * errorData?, logLines}`, as on Convex, where a missing, internal or wrong-kind function is a function error too
 * ("Could not find public function for 'x:y'…"); refused before running (auth, body, origin, capacity) → 4xx
 * `{code, message}`. No request can crash the process: every failure ends in a response or a closed socket.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fairness, resetFairness } from "./fairness.js";
import { AuthFailure, type Auth } from "./auth.js";
import { bodyBytes, MAX_BODY_BYTES } from "./capacity.js";
import { decodeTs, encodeTs, type Clock } from "./clock.js";
import type { Caller, Engine, Kind, Outcome, Resolved } from "./engine.js";
import { isVerbose, log, monotonicMs } from "./log.js";
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE_S, type Origins } from "./origins.js";
import { runPathToUdfPath } from "./paths.js";
import { BadRequest, stringifyConvexJson, type JSONValue } from "./values.js";

const STATUS_UDF_FAILED = 560;
// Refusals Convex reports as the function's error (in the `{status:"error"}` envelope), not as an HTTP error.
const FUNCTION_ERRORS = new Set(["FunctionNotFound", "BadFunctionKind"]);
const MAX_BATCH_QUERIES = 256;
const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

export type HttpDeps = {
  engine: Engine;
  auth: Auth;
  clock: Clock;
  origins: Origins;
  version: string;
  /** After a client's write: its subscribers' queries start re-running (before its answer is sent). */
  afterWrite: () => void;
  stats: () => object;
  /** Number of commits so far: a batch whose queries saw different counts is re-run. */
  commits: () => number;
};

type Envelope = { status: number; body: string };

function json(status: number, value: unknown): Envelope {
  return { status, body: JSON.stringify(value) };
}

/**
 * Read a JSON body, counting its bytes against the request's own cap and against the budget of all bodies being
 * read at once (given back when done). A declared length over either is refused before a byte is read.
 */
async function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<string> {
  const raw = Number(req.headers["content-length"] ?? 0);
  const declared = Number.isSafeInteger(raw) && raw > 0 ? raw : 0; // (Node's parser refuses a malformed length)
  if (declared > max) throw new BadRequest("RequestTooLarge", `request body over ${max} bytes`, 413);
  bodyBytes.take(declared);
  let taken = declared;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > max) throw new BadRequest("RequestTooLarge", `request body over ${max} bytes`, 413);
      if (size > taken) {
        bodyBytes.take(size - taken);
        taken = size;
      }
      chunks.push(chunk as Buffer);
    }
  } finally {
    bodyBytes.give(taken);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, any>> {
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req)) || "{}");
  } catch (e) {
    if (e instanceof BadRequest) throw e;
    throw new BadRequest("BadJsonBody", `request body is not JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new BadRequest("BadJsonBody", "request body must be a JSON object");
  return body as Record<string, any>;
}

/** Convex-encoded JSON → plain JSON for `format: "json"` callers (int64 → number, bytes → base64 string). */
function clean(v: JSONValue): JSONValue {
  if (Array.isArray(v)) return v.map(clean);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$integer") return Number(Buffer.from(String(v.$integer), "base64").readBigInt64LE());
    if (keys.length === 1 && keys[0] === "$bytes") return v.$bytes;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x as JSONValue)]));
  }
  return v;
}

/** The `{status: …}` body Convex answers a function call with (inside a batch too). */
function udfResponse(outcome: Outcome, format: string): Record<string, unknown> {
  if (outcome.ok) return { status: "success", value: format === "json" ? clean(outcome.value) : outcome.value, logLines: [] };
  return { status: "error", errorMessage: outcome.message, logLines: [], ...(outcome.data !== undefined ? { errorData: outcome.data } : {}) };
}

export class HttpApi {
  constructor(private deps: HttpDeps) {}

  /** The request listener: never rejects, whatever the request. */
  handler() {
    return (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((e) => {
        log("http.internal_error", { path: req.url, error: (e as Error).stack ?? String(e) });
        res.destroy();
      });
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const receivedAt = monotonicMs();
    const origin = req.headers.origin;
    const cors = this.deps.origins.corsHeaders(origin);
    let out: Envelope;
    try {
      if (!this.deps.origins.admits(origin)) {
        // A page from another site: refused before anything runs (a form POST needs no preflight).
        throw new BadRequest("OriginNotAllowed", `requests from ${origin} are not allowed; start the backend with --allow-origin ${origin} to admit that web app`, 403);
      }
      if (req.method === "OPTIONS") {
        res.writeHead(204, { ...cors, "access-control-allow-methods": CORS_ALLOW_METHODS, "access-control-allow-headers": CORS_ALLOW_HEADERS, "access-control-max-age": String(CORS_MAX_AGE_S) });
        res.end();
        return;
      }
      out = await this.route(req, res, receivedAt);
      if (res.headersSent) return; // streamed (export)
    } catch (e) {
      if (!(e instanceof BadRequest)) {
        log("http.internal_error", { path: req.url, error: (e as Error).stack ?? String(e) });
        out = json(500, { code: "InternalServerError", message: (e as Error).message });
      } else {
        log("http.refused", { path: req.url, status: e.status, code: e.code, message: e.message });
        out = json(e.status, { code: e.code, message: e.message });
      }
      if (res.headersSent) return void res.destroy();
    }
    // No answer leaves before the commits made so far are on disk (store.ts: durable answers).
    await this.deps.engine.whenDurable();
    // A request refused before its body was read (too large, over the budget) must not leave the client
    // writing into a socket nobody reads: the response closes the connection.
    const unread = !req.readableEnded;
    res.writeHead(out.status, { ...cors, "content-type": "application/json", "content-length": Buffer.byteLength(out.body), ...(unread ? { connection: "close" } : {}) });
    res.end(out.body);
  }

  private async caller(req: IncomingMessage): Promise<Caller> {
    try {
      return await this.deps.auth.fromHeader(req.headers.authorization);
    } catch (e) {
      if (e instanceof AuthFailure) throw new BadRequest("Unauthenticated", e.message, 401);
      throw e;
    }
  }

  /** :throws BadRequest: 401 unless the request carries the admin key (operator-only routes). */
  private async requireAdmin(req: IncomingMessage, message: string): Promise<void> {
    const who = await this.deps.auth.fromHeader(req.headers.authorization).catch(() => null);
    if (who?.kind !== "admin") throw new BadRequest("Unauthenticated", message, 401);
  }

  private async route(req: IncomingMessage, res: ServerResponse, receivedAt: number): Promise<Envelope> {
    const { engine } = this.deps;
    const url = new URL(req.url ?? "/", "http://local");
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "GET /version":
        return json(200, { version: this.deps.version, engine: engine.name });
      case "GET /health":
        // `pid`: `codex-convex backend stop` signals a process only once it answers here as this backend
        return json(200, { status: "ok", pid: process.pid, ...this.deps.stats() });
      case "GET /.well-known/jwks.json":
        return json(200, this.deps.auth.devJwks);
      case "GET /api/metrics":
        await this.requireAdmin(req, "metrics need the admin key");
        return json(200, { byPath: engine.metrics, fairness });
      case "POST /api/metrics/reset":
        await this.requireAdmin(req, "metrics need the admin key");
        engine.metrics.reset();
        resetFairness();
        return json(200, { byPath: engine.metrics, fairness });
      case "GET /api/export": {
        await this.requireAdmin(req, "export and import need the admin key");
        // The snapshot opens at the first row, at once after this: with every commit made so far on disk.
        for (let d = engine.whenDurable(); d !== undefined; d = engine.whenDurable()) await d;
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        // At the client's pace: a write the socket cannot take yet waits for "drain" (the snapshot is a read
        // transaction of its own, so commits go on meanwhile); before, every row was buffered at once, and a large
        // database ran the backend out of memory before the first byte left.
        for (const row of engine.exportDocuments()) {
          if (res.write(JSON.stringify(row) + "\n")) continue;
          await new Promise<void>((resume) => {
            const go = () => {
              res.off("drain", go);
              res.off("close", go);
              resume();
            };
            res.on("drain", go);
            res.on("close", go);
          });
          if (res.destroyed) break; // the client went away: the generator's finally closes the snapshot
        }
        res.end();
        return json(200, null);
      }
      case "POST /api/import": {
        await this.requireAdmin(req, "export and import need the admin key");
        const text = await readBody(req, MAX_IMPORT_BYTES);
        let rows: Array<[string, string, JSONValue]>;
        try {
          rows = text.split("\n").filter(Boolean).map((l) => JSON.parse(l));
        } catch (e) {
          throw new BadRequest("BadJsonBody", `import is not JSON lines: ${(e as Error).message}`);
        }
        const n = engine.importDocuments(rows);
        this.deps.afterWrite();
        return json(200, { imported: n });
      }
      case "POST /api/query_ts":
        return json(200, { ts: encodeTs(this.deps.clock.now()) });
      case "GET /api/query": {
        const caller = await this.caller(req);
        let args: unknown;
        try {
          args = JSON.parse(url.searchParams.get("args") ?? "{}");
        } catch (e) {
          throw new BadRequest("BadJsonBody", `args is not JSON: ${(e as Error).message}`);
        }
        return this.call(caller, "query", url.searchParams.get("path"), args, url.searchParams.get("format") ?? "convex_encoded_json", receivedAt);
      }
    }
    if (req.method !== "POST") throw new BadRequest("NotFound", `No route for ${req.method} ${url.pathname}`, 404);
    const kindRoute = url.pathname.match(/^\/api\/(query|mutation|action|function|query_at_ts|query_batch)$/);
    const run = url.pathname.match(/^\/api\/run\/(.+)$/);
    if (!kindRoute && !run) throw new BadRequest("NotFound", `No route for ${req.method} ${url.pathname}`, 404);
    const caller = await this.caller(req);
    const body = await readJsonObject(req);
    if (run) return this.call(caller, "any", runPathToUdfPath(run[1]), body.args, body.format ?? "json", receivedAt);
    const format = body.format ?? "convex_encoded_json";
    switch (kindRoute![1]) {
      case "function":
        if (body.componentPath !== undefined && body.componentPath !== null && body.componentPath !== "") {
          throw new BadRequest("ComponentPathNotSupported", "the local backend runs only the app's own functions through /api/function (no componentPath)");
        }
        return this.call(caller, "any", body.path, body.args, format, receivedAt);
      case "query_at_ts": {
        const ts = typeof body.ts === "string" ? decodeTs(body.ts) : -1n;
        if (ts < 0n) throw new BadRequest("BadTimestamp", "ts must be a timestamp from /api/query_ts (8 bytes, base64)");
        if (ts < this.deps.clock.lastCommit()) {
          // No history is kept: a snapshot older than the last commit cannot be read back.
          throw new BadRequest("QueryTimestampTooOld", "data changed after that timestamp and the local backend keeps no history; take a new one from /api/query_ts", 400);
        }
        return this.call(caller, "query", body.path, body.args, format, receivedAt);
      }
      case "query_batch":
        return this.batch(caller, body.queries, receivedAt);
      default:
        return this.call(caller, kindRoute![1] as Kind, body.path, body.args, format, receivedAt);
    }
  }

  /** Queries run one after another; when a commit lands between them the batch runs again (all at one state). */
  private async batch(caller: Caller, queries: unknown, receivedAt: number): Promise<Envelope> {
    if (!Array.isArray(queries) || queries.length > MAX_BATCH_QUERIES) {
      throw new BadRequest("BadJsonBody", `queries must be a list of at most ${MAX_BATCH_QUERIES} {path, args, format}`);
    }
    for (let attempt = 0; ; attempt++) {
      const before = this.deps.commits();
      const results = [];
      for (const q of queries as Array<Record<string, any>>) {
        const { body } = await this.call(caller, "query", q?.path, q?.args, q?.format ?? "convex_encoded_json", receivedAt);
        results.push(JSON.parse(body));
      }
      if (this.deps.commits() === before || attempt === 4) return { status: 200, body: stringifyConvexJson({ results }) };
    }
  }

  /** `receivedAt`: when the request arrived (monotonicMs); with --verbose the call's log line has its timeline. */
  private async call(caller: Caller, kind: Kind | "any", path: unknown, args: unknown, format: string, receivedAt: number): Promise<Envelope> {
    const { engine } = this.deps;
    let fn: Resolved;
    try {
      fn = await engine.resolve(path as string, kind, caller);
    } catch (e) {
      if (!(e instanceof BadRequest) || !FUNCTION_ERRORS.has(e.code)) throw e;
      log("call", { transport: "http", kind, path, caller: caller.kind, ms: 0, outcome: "error" });
      return { status: STATUS_UDF_FAILED, body: JSON.stringify({ status: "error", errorMessage: e.message, logLines: [] }) };
    }
    const startedAt = monotonicMs();
    const outcome = await engine.run(fn, (args ?? {}) as JSONValue, caller);
    log("call", {
      transport: "http", kind: fn.kind, path: fn.udfPath, caller: caller.kind, ms: +outcome.ms.toFixed(2), outcome: outcome.ok ? "ok" : "error",
      ...(isVerbose() ? { receivedAt, startedAt, endedAt: monotonicMs() } : {}),
    });
    if (fn.kind !== "query") this.deps.afterWrite();
    return { status: outcome.ok ? 200 : STATUS_UDF_FAILED, body: stringifyConvexJson(udfResponse(outcome, format)) };
  }
}
