/**
 * Engine on convex-test: the app and the mounted component run their real functions (validators, ConvexError,
 * rollback on throw, scheduler on real timers), serially (one global lock), on durable indexed storage in SQLite
 * (durable.ts) instead of convex-test's in-memory full-scan store.
 */
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { ConvexError, type Value } from "convex/values";
import { ArgumentValidationError, validateArguments } from "./argumentValidation.js";
import { parsedValidators } from "./validatorShortcuts.js";
import { actionSlots } from "./capacity.js";
import { asClientCall, installFairness } from "./fairness.js";
import { closeDurableStorage, commitSeq, exportDocuments, forgetScheduled, importDocuments, installDurableStorage, keepResult, readSets, receiptOf, receipts, takeWrites, unfinishedScheduledFunctions, whenDurable } from "./durable.js";
import type { Receipt } from "./store.js";
import { ReadSet, type WriteSet } from "./readSet.js";
import { limitModule, meterSyscall } from "./functionLimits.js";
import { MetricsByPath, recordCallMetrics, transactionLimits, withCallMetrics } from "./callMetrics.js";
import { enforceDocumentLimits } from "./limits.js";
import { log } from "./log.js";
import type { Caller, Engine, Identity, Kind, Outcome, Resolved } from "./engine.js";
import { normalizePath } from "./paths.js";
import { BadRequest, decodeArgs, encodeValue, type JSONValue } from "./values.js";
import { appModules, componentModules, componentSchema, COMPONENT_NAME } from "./modules.gen.js";

type Loader = () => Promise<Record<string, unknown>>;
type RegisteredFn = { isQuery?: boolean; isMutation?: boolean; isAction?: boolean; isPublic?: boolean; exportArgs?: () => string; exportReturns?: () => string };

const WRITE_SYSCALLS = new Set(["1.0/insert", "1.0/shallowMerge", "1.0/replace", "1.0/remove", "1.0/schedule", "1.0/cancel_job"]);
const NOT_FUNCTION_MODULES = /^(_generated\/|schema$|convex\.config$|auth\.config$)/;

/** convex-test calls a module's loader on every resolution: import each module once, its functions limited. */
function memoize(modules: Record<string, Loader>): Record<string, Loader> {
  const out: Record<string, Loader> = {};
  for (const [k, load] of Object.entries(modules)) {
    let p: Promise<Record<string, unknown>> | undefined;
    out[k] = () => (p ??= load().then((m) => limitModule(m, k.replace(/^\.\//, "").replace(/\.ts$/, ""))));
  }
  return out;
}

function kindOf(fn: RegisteredFn): Kind | null {
  return fn.isQuery ? "query" : fn.isMutation ? "mutation" : fn.isAction ? "action" : null;
}

export function errorOutcome(e: unknown, ms: number): Outcome {
  if (e instanceof ConvexError || (e as { name?: string })?.name === "ConvexError") {
    const data = encodeValue((e as ConvexError<never>).data);
    return { ok: false, message: `Uncaught ConvexError: ${JSON.stringify(data)}`, data, ms };
  }
  const err = e as Error;
  return { ok: false, message: `Uncaught ${err?.name ?? "Error"}: ${err?.message ?? String(e)}`, ms };
}

export type EngineOptions = {
  /** Where the SQLite database lives. */
  dataDir: string;
  /** "convex" (default): today's read limits; "legacy": older builds' 8 MiB / 16,384 documents. */
  readLimits?: "convex" | "legacy";
};

export class ConvexTestEngine implements Engine {
  readonly name = "durable";
  private t: any;
  private app: Record<string, Loader>;
  private listeners: Array<() => void> = [];
  /** The most each query and mutation path cost in one call (GET /api/metrics). */
  readonly metrics = new MetricsByPath();

  constructor(private opts: EngineOptions) {
    enforceDocumentLimits();
    installFairness(whenDurable); // client calls (and answers waiting for the disk) before scheduled work
    installDurableStorage(opts.dataDir);
    this.app = memoize(appModules as Record<string, Loader>);
    recordCallMetrics();
    this.t = convexTest({ schema: undefined, modules: this.app, transactionLimits: transactionLimits(opts.readLimits ?? "convex") });
    this.t.registerComponent(COMPONENT_NAME, componentSchema, memoize(componentModules as Record<string, Loader>));
    this.installWriteHook();
  }

  private installWriteHook() {
    const g = globalThis as unknown as { Convex: { syscall: unknown; jsSyscall: unknown; asyncSyscall: (op: string, a: string) => Promise<string> } };
    const inner = g.Convex;
    const notify = () => {
      for (const l of this.listeners) l();
    };
    g.Convex = {
      get syscall() {
        const f = inner.syscall as (op: string, a: string) => string;
        return (op: string, a: string) => meterSyscall(op, () => f(op, a));
      },
      get jsSyscall() {
        return inner.jsSyscall;
      },
      get asyncSyscall() {
        const f = inner.asyncSyscall;
        return async (op: string, a: string) => {
          const r = await meterSyscall(op, () => f(op, a));
          if (WRITE_SYSCALLS.has(op)) notify();
          return r;
        };
      },
    } as typeof g.Convex;
  }

  /** Schedule again what had not run when the process stopped (the data stays on disk). */
  async open(): Promise<void> {
    const pending = unfinishedScheduledFunctions();
    for (const { component, id, doc } of pending) {
      forgetScheduled(component, id);
      const when = Math.max(Date.now(), doc.scheduledTime);
      const ref = makeFunctionReference<"mutation">(doc.name) as any;
      await this.t.runInComponent(component, async (ctx: any) => {
        await ctx.scheduler.runAt(when, ref, doc.args[0]);
      });
    }
    log("durable.opened", { rescheduled: pending.length, dir: this.opts.dataDir });
  }

  onWrite(listener: () => void): void {
    this.listeners.push(listener);
  }

  async resolve(path: string, kind: Kind | "any", caller: Caller): Promise<Resolved> {
    const { module, exportName } = normalizePath(path);
    const loader = NOT_FUNCTION_MODULES.test(module) ? undefined : this.app[`./${module}.ts`];
    const fn = loader ? ((await loader())[exportName] as RegisteredFn | undefined) : undefined;
    const found = fn && typeof fn === "function" ? kindOf(fn) : null;
    if (!fn || found === null || (!fn.isPublic && caller.kind !== "admin")) {
      throw new BadRequest(
        "FunctionNotFound",
        `Could not find public function for '${module}:${exportName}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?`,
        404,
      );
    }
    if (kind !== "any" && kind !== found) {
      const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
      throw new BadRequest(
        "BadFunctionKind",
        `Trying to execute ${module}:${exportName} as ${cap(kind)}, but it is defined as ${cap(found)}.`,
      );
    }
    return { udfPath: `${module}:${exportName}`, kind: found, argsValidator: fn.exportArgs && fn.exportReturns ? parsedValidators(fn as Required<RegisteredFn>).args : undefined };
  }

  committed(receipt: Receipt): { result: string | null } | null {
    return receiptOf(receipt);
  }

  /** A client call (fairness.ts: ahead of scheduled work). Actions hold one of the slots of `actionSlots` while they
   * run (:throws BadRequest: when none is free). */
  async run(fn: Resolved, args: JSONValue, caller: Caller, receipt?: Receipt): Promise<Outcome> {
    if (fn.kind !== "action") return asClientCall(() => this.runHeld(fn, args, caller, receipt));
    actionSlots.take();
    try {
      return await asClientCall(() => this.runHeld(fn, args, caller));
    } finally {
      actionSlots.give();
    }
  }

  private async runHeld(fn: Resolved, args: JSONValue, caller: Caller, receipt?: Receipt): Promise<Outcome> {
    const started = performance.now();
    try {
      const a = decodeArgs(args);
      validateArguments(fn.argsValidator, a as Record<string, Value>);
      const acc = caller.kind === "user" ? this.accessor(caller.identity) : this.t;
      const path = { componentPath: "", udfPath: fn.udfPath };
      const reads = fn.kind === "query" ? new ReadSet() : undefined;
      const call = () =>
        fn.kind === "query"
          ? acc.queryFromPath(path, a)
          : fn.kind === "mutation"
            ? acc.mutationFromPath(path, a)
            : acc.actionFromPath(path, a);
      const held = receipt && fn.kind === "mutation" ? { ...receipt, spent: false } : undefined;
      const scoped = () => (reads ? readSets.run(reads, call) : held ? receipts.run(held, call) : call());
      try {
        const { result: r, metrics } = await withCallMetrics<any>(scoped);
        if (metrics !== null) this.metrics.add(fn.udfPath, metrics);
        const value = encodeValue(r);
        if (held?.spent) keepResult(held, JSON.stringify(value));
        return { ok: true, value, ms: performance.now() - started, reads };
      } catch (e) {
        if (e instanceof BadRequest) throw e;
        return { ...errorOutcome(e, performance.now() - started), reads };
      } finally {
        if (held) held.spent = true; // functions it scheduled inherit the context: they store no receipt
      }
    } catch (e) {
      if (e instanceof BadRequest) throw e;
      if (e instanceof ArgumentValidationError) return { ok: false, message: e.message, ms: performance.now() - started };
      return errorOutcome(e, performance.now() - started);
    }
  }

  /** convex-test's accessor for an identity, made once per identity (it encodes a test JWT each time it is made). */
  private accessor(identity: Identity): any {
    const k = JSON.stringify(identity);
    let acc = this.accessors.get(k);
    if (acc === undefined) {
      if (this.accessors.size >= 1024) this.accessors.clear();
      acc = this.t.withIdentity(identity);
      this.accessors.set(k, acc);
    }
    return acc;
  }

  private accessors = new Map<string, any>();

  commitSeq(): number {
    return commitSeq();
  }

  whenDurable(seq?: number): Promise<void> | undefined {
    return whenDurable(seq);
  }

  takeWrites(): WriteSet {
    return takeWrites();
  }

  exportDocuments(): Iterable<[string, string, JSONValue]> {
    return exportDocuments();
  }

  importDocuments(rows: Array<[string, string, JSONValue]>): number {
    try {
      return importDocuments(rows);
    } catch (e) {
      throw new BadRequest("ImportRefused", (e as Error).message, 409);
    }
  }

  async close(): Promise<void> {
    closeDurableStorage();
  }
}
