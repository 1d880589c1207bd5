/**
 * Convex's HTTP API: `POST /api/query|mutation|action` (`{path, args, format}`), `POST /api/run/<mod>/<fn>`,
 * plus `GET /version`, `GET /health` and the dev issuer's `GET /.well-known/jwks.json`.
 * Success → 200 `{status:"success", value, logLines}`; function error → 560 `{status:"error", errorMessage,
 * errorData?, logLines}`, as on Convex, where a missing, internal or wrong-kind function is a function error too
 * ("Could not find public function for 'x:y'…"); refused before running (auth, body) → 4xx `{code, message}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { AuthFailure, type Auth } from "./auth.js";
import type { Caller, Engine, Kind } from "./engine.js";
import { log } from "./log.js";
import { runPathToUdfPath } from "./paths.js";
import { BadRequest, stringifyConvexJson, type JSONValue } from "./values.js";

export const MAX_BODY_BYTES = 20 * 1024 * 1024; // Convex caps arguments at 16 MiB; leave room for the envelope
const STATUS_UDF_FAILED = 560;
// Refusals Convex reports as the function's error (in the `{status:"error"}` envelope), not as an HTTP error.
const FUNCTION_ERRORS = new Set(["FunctionNotFound", "BadFunctionKind"]);

export type HttpDeps = { engine: Engine; auth: Auth; version: string; afterWrite: () => void; stats: () => object };

function send(res: ServerResponse, status: number, body: string, type = "application/json") {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function readBody(req: IncomingMessage, max = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new BadRequest("RequestTooLarge", `request body over ${max} bytes`, 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
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

/** :throws BadRequest: 401 unless the request carries the admin key (operator-only routes). */
async function requireAdmin(deps: HttpDeps, req: IncomingMessage, message: string): Promise<void> {
  const who = await deps.auth.fromHeader(req.headers.authorization).catch(() => null);
  if (who?.kind !== "admin") throw new BadRequest("Unauthenticated", message, 401);
}

export function httpHandler(deps: HttpDeps) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://local");
    try {
      if (req.method === "GET" && url.pathname === "/version") {
        return send(res, 200, JSON.stringify({ version: deps.version, engine: deps.engine.name }));
      }
      if (req.method === "GET" && url.pathname === "/health") {
        // `pid`: `codex-convex backend stop` signals a process only once it answers here as this backend
        return send(res, 200, JSON.stringify({ status: "ok", pid: process.pid, ...deps.stats() }));
      }
      if (req.method === "GET" && url.pathname === "/.well-known/jwks.json") {
        return send(res, 200, JSON.stringify(deps.auth.devJwks));
      }
      if (url.pathname === "/api/metrics" || url.pathname === "/api/metrics/reset") {
        await requireAdmin(deps, req, "metrics need the admin key");
        if (req.method === "POST" && url.pathname === "/api/metrics/reset") deps.engine.metrics.reset();
        else if (req.method !== "GET" || url.pathname !== "/api/metrics") throw new BadRequest("NotFound", `No route for ${req.method} ${url.pathname}`, 404);
        return send(res, 200, JSON.stringify({ byPath: deps.engine.metrics }));
      }
      if (url.pathname === "/api/export" || url.pathname === "/api/import") {
        await requireAdmin(deps, req, "export and import need the admin key");
        if (req.method === "GET" && url.pathname === "/api/export") {
          const rows = deps.engine.exportDocuments();
          res.writeHead(200, { "content-type": "application/x-ndjson" });
          for (const row of rows) res.write(JSON.stringify(row) + "\n");
          return res.end();
        }
        if (req.method === "POST" && url.pathname === "/api/import") {
          const rows = (await readBody(req, 1024 * 1024 * 1024)).split("\n").filter(Boolean).map((l) => JSON.parse(l));
          const n = deps.engine.importDocuments(rows);
          deps.afterWrite();
          return send(res, 200, JSON.stringify({ imported: n }));
        }
      }
      const m = url.pathname.match(/^\/api\/(query|mutation|action)$/);
      const run = url.pathname.match(/^\/api\/run\/(.+)$/);
      if (req.method !== "POST" || (!m && !run)) {
        throw new BadRequest("NotFound", `No route for ${req.method} ${url.pathname}`, 404);
      }
      let caller: Caller;
      try {
        caller = await deps.auth.fromHeader(req.headers.authorization);
      } catch (e) {
        if (e instanceof AuthFailure) throw new BadRequest("Unauthenticated", e.message, 401);
        throw e;
      }
      let body: any;
      try {
        body = JSON.parse((await readBody(req)) || "{}");
      } catch (e) {
        if (e instanceof BadRequest) throw e;
        throw new BadRequest("BadJsonBody", `request body is not JSON: ${(e as Error).message}`);
      }
      if (body === null || typeof body !== "object") throw new BadRequest("BadJsonBody", "request body must be a JSON object");
      const kind: Kind | "any" = m ? (m[1] as Kind) : "any";
      const path = m ? body.path : runPathToUdfPath(run![1]);
      const format = body.format ?? (m ? "convex_encoded_json" : "json");
      let fn;
      try {
        fn = await deps.engine.resolve(path, kind, caller);
      } catch (e) {
        if (!(e instanceof BadRequest) || !FUNCTION_ERRORS.has(e.code)) throw e;
        log("call", { transport: "http", kind, path, caller: caller.kind, ms: 0, outcome: "error" });
        return send(res, STATUS_UDF_FAILED, JSON.stringify({ status: "error", errorMessage: e.message, logLines: [] }));
      }
      const outcome = await deps.engine.run(fn, body.args ?? {}, caller);
      log("call", { transport: "http", kind: fn.kind, path: fn.udfPath, caller: caller.kind, ms: +outcome.ms.toFixed(2), outcome: outcome.ok ? "ok" : "error" });
      if (fn.kind !== "query") deps.afterWrite();
      if (outcome.ok) {
        const value = format === "json" ? clean(outcome.value) : outcome.value;
        return send(res, 200, stringifyConvexJson({ status: "success", value, logLines: [] }));
      }
      return send(res, STATUS_UDF_FAILED, stringifyConvexJson({
        status: "error", errorMessage: outcome.message, logLines: [],
        ...(outcome.data !== undefined ? { errorData: outcome.data } : {}),
      }));
    } catch (e) {
      if (e instanceof BadRequest) {
        log("http.refused", { path: url.pathname, status: e.status, code: e.code, message: e.message });
        return send(res, e.status, JSON.stringify({ code: e.code, message: e.message }));
      }
      log("http.internal_error", { path: url.pathname, error: (e as Error).stack ?? String(e) });
      return send(res, 500, JSON.stringify({ code: "InternalServerError", message: (e as Error).message }));
    }
  };
}
