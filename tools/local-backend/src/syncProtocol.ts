/**
 * Convex's WebSocket sync protocol at `/api/sync`, as the official clients speak it.
 *
 * Per connection: messages are handled strictly in arrival order on one promise chain (so `set_auth` followed by
 * a mutation runs that mutation authenticated); every Transition starts at the version last sent; a Transition
 * follows every MutationResponse (the client only delivers a mutation result after one); Ping every 15 s
 * (clients drop a server silent for 30 s). After any commit, each connection's subscribed queries are re-run
 * and only changed results are pushed, in one Transition.
 *
 * As on Convex: a mutation re-sent with the same session id and request id (the client does so after a reconnect)
 * is applied once, its first result answered again; Transitions carry `clientClockSkew` and `serverTs` when the
 * client sent `clientTs`; one connection subscribes to at most MAX_QUERIES_PER_CONNECTION queries, and at most
 * MAX_CONCURRENT_ACTIONS actions run at once.
 */
import type { WebSocket } from "ws";
import { callerKey, AuthFailure, type Auth } from "./auth.js";
import type { Caller, Engine, Outcome } from "./engine.js";
import { isVerbose, log, monotonicMs } from "./log.js";
import { BadRequest, type JSONValue } from "./values.js";
import { Clock, encodeTs, decodeTs } from "./clock.js";
import { ReadSet, WriteSet } from "./readSet.js";
import { MAX_QUERIES_PER_CONNECTION } from "./capacity.js";

const PING_INTERVAL_MS = 15_000;

type Query = { udfPath: string; args: JSONValue; lastSent?: string; reads?: ReadSet };
type Version = { querySet: number; identity: number; ts: bigint };
/** The messages that acknowledge a client's write: sent once the commits made before them are on disk. */
const ACKS = new Set(["MutationResponse", "ActionResponse"]);

/** One client's socket (exported for its tests). */
export class Connection {
  querySet = 0;
  identity = 0;
  caller: Caller = { kind: "anonymous" };
  /** From Connect: a re-sent mutation is recognised by (sessionId, requestId). */
  sessionId: string | undefined;
  /** Client clock minus server clock when Connect arrived (ms), when the client sent its `clientTs`. */
  clockSkewMs: number | undefined;
  sent: Version = { querySet: 0, identity: 0, ts: 0n };
  queries = new Map<number, Query>();
  refreshQueued = false;
  closed = false;
  private chain: Promise<void> = Promise.resolve();
  private pinger: NodeJS.Timeout;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Messages waiting, in order, behind an answer that waits for the commits made before it to be on disk:
   * [commits needed (0: none), text]. */
  private outbox: Array<[number, string]> = [];
  /** A close asked for while messages still waited in the outbox: done once they left. */
  private closeWith: [number, string] | null = null;

  constructor(
    readonly ws: WebSocket,
    readonly id: number,
    pingMs: number,
    private durable: Pick<Engine, "commitSeq" | "whenDurable">,
  ) {
    this.pinger = setInterval(() => this.send({ type: "Ping" }), pingMs);
  }

  enqueue(task: () => Promise<void>) {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await task();
      } catch (e) {
        this.fatal(`Internal error: ${(e as Error).message}`);
      }
    });
  }

  /**
   * Send `msg`. An answer that acknowledges a client's write (a mutation's or an action's: `ACKS`) leaves once every
   * commit made so far is on disk (store.ts: durable answers), and what this connection sends after it waits behind
   * it, in order; anything else (query results) leaves at once.
   */
  send(msg: { type: string; [field: string]: unknown }) {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(msg);
    const need = ACKS.has(msg.type) ? this.durable.commitSeq() : 0;
    if (this.outbox.length === 0 && this.durable.whenDurable(need) === undefined) return this.ws.send(text);
    this.outbox.push([need, text]);
    if (this.outbox.length === 1) void this.drain();
  }

  private async drain() {
    while (this.outbox.length > 0) {
      await this.durable.whenDurable(this.outbox[0][0]);
      const [, text] = this.outbox.shift()!;
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
    }
    if (this.closeWith !== null) this.closeSocket(...this.closeWith);
  }

  fatal(error: string) {
    log("sync.fatal", { conn: this.id, error });
    this.send({ type: "FatalError", error });
    this.close(1011, "FatalError");
  }

  close(code = 1000, reason = "") {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    clearTimeout(this.expiryTimer);
    if (this.outbox.length > 0) this.closeWith = [code, reason]; // after what waits to be sent (a FatalError)
    else this.closeSocket(code, reason);
  }

  private closeSocket(code: number, reason: string) {
    try {
      this.ws.close(code, reason);
    } catch {
      /* already closing */
    }
  }
}

/**
 * A request's sequence number is a u32 on Convex (sync_types' SessionRequestSeqNumber): a frame with anything else
 * does not parse there, and nothing runs. Run anyway, its answer would carry an id the client cannot match (a
 * number past 2^53 comes back rounded), hiding a commit.
 */
function isRequestId(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff;
}

function badRequestId(x: unknown): string {
  return `Invalid requestId ${JSON.stringify(x)?.slice(0, 100)}: expected an integer from 0 to 4294967295`;
}

export class SyncServer {
  private conns = new Set<Connection>();
  private nextId = 0;

  constructor(
    private engine: Engine,
    private auth: Auth,
    private clock: Clock,
    private pingMs = PING_INTERVAL_MS,
  ) {}

  get connectionCount() {
    return this.conns.size;
  }

  accept(ws: WebSocket) {
    const c = new Connection(ws, this.nextId++, this.pingMs, this.engine);
    this.conns.add(c);
    ws.on("message", (raw, isBinary) => {
      let msg: any;
      try {
        if (isBinary) throw new Error("binary frame");
        msg = JSON.parse(raw.toString());
        if (msg === null || typeof msg !== "object" || typeof msg.type !== "string") throw new Error("no message type");
      } catch (e) {
        c.enqueue(async () => c.fatal(`Malformed message: ${(e as Error).message}`));
        return;
      }
      this.dispatch(c, msg);
    });
    ws.on("close", () => {
      c.closed = true;
      c.close();
      this.conns.delete(c);
    });
    ws.on("error", (e) => log("sync.socket_error", { conn: c.id, error: e.message }));
  }

  /** Query re-runs caused by commits (benchmarks and tests read it from /health). */
  queryRuns = 0;
  private written = new WriteSet();

  /**
   * After a commit: refresh every connection (each sends a Transition only if a result changed). With the index
   * keys written, only queries that read a range holding one of them re-run.
   */
  broadcast(written: WriteSet) {
    this.written.merge(written);
    for (const c of this.conns) this.scheduleRefresh(c);
  }

  closeAll() {
    for (const c of this.conns) c.close(1001, "server shutting down");
  }

  private scheduleRefresh(c: Connection) {
    if (c.refreshQueued) return;
    c.refreshQueued = true;
    c.enqueue(async () => {
      c.refreshQueued = false;
      const written = this.written;
      if ([...this.conns].every((x) => !x.refreshQueued)) this.written = new WriteSet();
      if (!this.expired(c)) await this.refresh(c, false, new Map(), written);
    });
  }

  /**
   * Like Convex, every operation of a connection checks its user token's expiry: past it, nothing runs, the client
   * gets an AuthError (and reconnects; a mutation it had sent is re-sent then) and the socket closes. A timer does the
   * same for an idle socket, so a subscription never outlives its token.
   */
  private armExpiry(c: Connection) {
    clearTimeout(c.expiryTimer);
    if (c.caller.kind !== "user") return;
    // setTimeout holds at most 2^31-1 ms: a long-lived token is checked again when that much has passed.
    const wait = Math.min(Math.max(0, c.caller.expiresAt - Date.now()) + 5, 2 ** 30);
    c.expiryTimer = setTimeout(() => c.enqueue(async () => { if (!this.expired(c)) this.armExpiry(c); }), wait);
  }

  private expired(c: Connection): boolean {
    if (c.caller.kind !== "user" || Date.now() < c.caller.expiresAt) return false;
    log("sync.auth_expired", { conn: c.id });
    c.send({ type: "AuthError", error: "Convex token identity expired", baseVersion: c.identity, authUpdateAttempted: false });
    c.close(1000, "AuthError");
    return true;
  }

  private dispatch(c: Connection, msg: any) {
    if ((msg.type === "Mutation" || msg.type === "Action") && !isRequestId(msg.requestId)) {
      return c.enqueue(async () => c.fatal(badRequestId(msg.requestId)));
    }
    switch (msg.type) {
      case "Connect":
        return c.enqueue(async () => {
          if (typeof msg.maxObservedTimestamp === "string") this.clock.observe(decodeTs(msg.maxObservedTimestamp));
          if (typeof msg.sessionId === "string" && msg.sessionId.length > 0 && msg.sessionId.length <= 128) c.sessionId = msg.sessionId;
          if (typeof msg.clientTs === "number" && Number.isFinite(msg.clientTs)) c.clockSkewMs = msg.clientTs - Date.now();
          log("sync.connect", { conn: c.id, connectionCount: msg.connectionCount, lastCloseReason: msg.lastCloseReason });
        });
      case "ModifyQuerySet":
        return c.enqueue(async () => { if (!this.expired(c)) await this.modifyQuerySet(c, msg); });
      case "Authenticate":
        return c.enqueue(() => this.authenticate(c, msg));
      case "Mutation":
        return c.enqueue(async () => { if (!this.expired(c)) await this.mutation(c, msg); });
      case "Action":
        return c.enqueue(async () => { if (!this.expired(c)) this.action(c, msg, c.caller); });
      case "Event":
        return;
      default:
        return c.enqueue(async () => c.fatal(`Unknown message type ${JSON.stringify(msg.type)}`));
    }
  }

  private async evaluate(c: Connection, q: Query, memo: Map<string, object>): Promise<object> {
    this.queryRuns += 1;
    const key = `${q.udfPath}\u0000${JSON.stringify(q.args)}\u0000${callerKey(c.caller)}`;
    const hit = memo.get(key);
    if (hit) return hit;
    let outcome: Outcome;
    try {
      const fn = await this.engine.resolve(q.udfPath, "query", c.caller);
      outcome = await this.engine.run(fn, q.args, c.caller);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      outcome = { ok: false, message: e.message, ms: 0 };
    }
    q.reads = outcome.reads;
    const m = outcome.ok
      ? { type: "QueryUpdated", value: outcome.value, logLines: [], journal: null }
      : { type: "QueryFailed", errorMessage: outcome.message, logLines: [], journal: null, ...(outcome.data !== undefined ? { errorData: outcome.data } : {}) };
    memo.set(key, m);
    return m;
  }

  private transition(c: Connection, modifications: object[]) {
    const end: Version = { querySet: c.querySet, identity: c.identity, ts: this.clock.now() };
    c.send({
      type: "Transition",
      startVersion: { querySet: c.sent.querySet, identity: c.sent.identity, ts: encodeTs(c.sent.ts) },
      endVersion: { querySet: end.querySet, identity: end.identity, ts: encodeTs(end.ts) },
      modifications,
      ...(c.clockSkewMs !== undefined ? { clientClockSkew: c.clockSkewMs, serverTs: Number(end.ts) } : {}),
    });
    c.sent = end;
  }

  /** Re-run every query of `c`; push the changed ones. `force` sends a Transition even with no change. */
  private async refresh(c: Connection, force: boolean, memo = new Map<string, object>(), written: WriteSet | null = null) {
    const refreshedAt = monotonicMs();
    const mods: object[] = [];
    for (const [queryId, q] of c.queries) {
      // A query whose read ranges no commit wrote into cannot have changed: skip it.
      if (!force && written !== null && q.reads !== undefined && !q.reads.touchedBy(written)) continue;
      const m = await this.evaluate(c, q, memo);
      const text = JSON.stringify(m);
      if (!c.queries.has(queryId) || text === q.lastSent) continue;
      q.lastSent = text;
      mods.push({ ...m, queryId });
    }
    if (mods.length > 0 || force || c.sent.querySet !== c.querySet || c.sent.identity !== c.identity) {
      // the timeline of a change (monotonicMs): when the commit's refresh began and when its results were sent (taken
      // before the send: a client may well see them before this process runs its next line)
      const pushedAt = monotonicMs();
      this.transition(c, mods);
      if (mods.length > 0 && isVerbose()) log("sync.pushed", { conn: c.id, queries: mods.length, refreshedAt, pushedAt });
    }
  }

  private async modifyQuerySet(c: Connection, msg: any) {
    if (msg.baseVersion !== c.querySet || typeof msg.newVersion !== "number" || !Array.isArray(msg.modifications)) {
      return c.fatal(`Invalid query set version: base ${msg.baseVersion}, server has ${c.querySet}`);
    }
    const mods: object[] = [];
    const memo = new Map<string, object>();
    for (const mod of msg.modifications) {
      if (mod?.type === "Add" && typeof mod.queryId === "number" && typeof mod.udfPath === "string") {
        if (!c.queries.has(mod.queryId) && c.queries.size >= MAX_QUERIES_PER_CONNECTION) {
          return c.fatal(`TooManyQueries: a connection subscribes to at most ${MAX_QUERIES_PER_CONNECTION} queries`);
        }
        const q: Query = { udfPath: mod.udfPath, args: Array.isArray(mod.args) ? (mod.args[0] ?? {}) : (mod.args ?? {}) };
        c.queries.set(mod.queryId, q);
        const m = await this.evaluate(c, q, memo);
        q.lastSent = JSON.stringify(m);
        mods.push({ ...m, queryId: mod.queryId });
      } else if (mod?.type === "Remove" && typeof mod.queryId === "number") {
        c.queries.delete(mod.queryId);
        mods.push({ type: "QueryRemoved", queryId: mod.queryId });
      } else {
        return c.fatal(`Invalid query set modification ${JSON.stringify(mod)}`);
      }
    }
    c.querySet = msg.newVersion;
    this.transition(c, mods);
  }

  private async authenticate(c: Connection, msg: any) {
    let caller: Caller;
    try {
      if (msg.tokenType === "User") caller = { kind: "user", ...(await this.auth.verify(String(msg.value ?? ""))) };
      else if (msg.tokenType === "Admin") {
        if (!this.auth.isAdminKey(String(msg.value ?? ""))) throw new AuthFailure("The provided admin key was invalid for this instance");
        caller = { kind: "admin" };
      } else if (msg.tokenType === "None") caller = { kind: "anonymous" };
      else throw new AuthFailure(`Unknown token type ${JSON.stringify(msg.tokenType)}`);
    } catch (e) {
      if (!(e instanceof AuthFailure)) throw e;
      log("sync.auth_error", { conn: c.id, error: e.message });
      c.send({ type: "AuthError", error: e.message, baseVersion: msg.baseVersion, authUpdateAttempted: true });
      c.close(1000, "AuthError");
      return;
    }
    c.caller = caller;
    this.armExpiry(c);
    c.identity = (typeof msg.baseVersion === "number" ? msg.baseVersion : c.identity) + 1;
    await this.refresh(c, true);
  }

  private async mutation(c: Connection, msg: any) {
    const started = performance.now();
    const receipt = c.sessionId !== undefined ? { session: `${callerKey(c.caller)}\u0000${c.sessionId}`, request: msg.requestId as number } : undefined;
    const done = receipt && this.engine.committed(receipt);
    if (done) {
      // Re-sent after a reconnect: applied already, so answer with its kept result instead of applying it twice.
      log("call", { transport: "ws", kind: "mutation", path: msg.udfPath, ms: 0, outcome: "resent" });
      c.send(done.result === null
        ? { type: "MutationResponse", requestId: msg.requestId, success: false, ts: null, logLines: [], result: "This mutation was applied, but the backend stopped before keeping its return value." }
        : { type: "MutationResponse", requestId: msg.requestId, success: true, result: JSON.parse(done.result), ts: encodeTs(this.clock.now()), logLines: [] });
      return this.refresh(c, true);
    }
    let outcome: Outcome;
    try {
      const fn = await this.engine.resolve(String(msg.udfPath ?? ""), "mutation", c.caller);
      outcome = await this.engine.run(fn, msg.args ?? [{}], c.caller, receipt);
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      outcome = { ok: false, message: e.message, ms: performance.now() - started };
    }
    log("call", { transport: "ws", kind: "mutation", path: msg.udfPath, ms: +outcome.ms.toFixed(2), outcome: outcome.ok ? "ok" : "error" });
    if (outcome.ok) {
      const ts = this.clock.tick();
      c.send({ type: "MutationResponse", requestId: msg.requestId, success: true, result: outcome.value, ts: encodeTs(ts), logLines: [] });
    } else {
      c.send({
        type: "MutationResponse", requestId: msg.requestId, success: false, result: outcome.message, ts: null, logLines: [],
        ...(outcome.data !== undefined ? { errorData: outcome.data } : {}),
      });
    }
    await this.refresh(c, true);
  }

  private action(c: Connection, msg: any, caller: Caller) {
    // Actions run outside the connection's chain (they may take minutes), with the identity as of their message.
    void (async () => {
      let outcome: Outcome;
      try {
        const fn = await this.engine.resolve(String(msg.udfPath ?? ""), "action", caller);
        outcome = await this.engine.run(fn, msg.args ?? [{}], caller);
      } catch (e) {
        outcome = { ok: false, message: (e as Error).message, ms: 0 };
      }
      log("call", { transport: "ws", kind: "action", path: msg.udfPath, ms: +outcome.ms.toFixed(2), outcome: outcome.ok ? "ok" : "error" });
      c.send(
        outcome.ok
          ? { type: "ActionResponse", requestId: msg.requestId, success: true, result: outcome.value, logLines: [] }
          : { type: "ActionResponse", requestId: msg.requestId, success: false, result: outcome.message, logLines: [], ...(outcome.data !== undefined ? { errorData: outcome.data } : {}) },
      );
    })();
  }
}
