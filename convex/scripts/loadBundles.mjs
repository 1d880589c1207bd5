// Load every module the Convex CLI bundled (`npx convex deploy --debug-bundle-path DIR`) in a plain V8 context,
// the way Convex's runtime does: ES modules, web globals only. No `Buffer`, no `require`, no `global`, no Node
// built-ins; `process` is only `{ env }` (Convex gives modules their deployment's environment variables, and its
// generated `_generated/server.js` reads `globalThis.process.env`).
//
//   node --experimental-vm-modules loadBundles.mjs [--env JSON] DIR…
//
// Prints one line per failing module and a summary; exits 1 when any module fails to link or evaluate.
import vm from "node:vm";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { env: { type: "string", default: "{}" } },
});

// The web APIs Convex's runtime provides to queries, mutations and module top levels.
function convexLikeGlobals() {
  const g = {
    console, TextEncoder, TextDecoder, URL, URLSearchParams, crypto: globalThis.crypto, atob, btoa, Blob,
    Headers, Request, Response, AbortController, AbortSignal, Event, EventTarget, ReadableStream, WritableStream,
    TransformStream, structuredClone, queueMicrotask, process: Object.freeze({ env: JSON.parse(values.env) }),
  };
  return g;
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith(".js")) out.push(p);
  }
  return out;
}

async function loadAll(dir) {
  const context = vm.createContext(convexLikeGlobals());
  const cache = new Map();
  const moduleAt = (path) => {
    let m = cache.get(path);
    if (!m) {
      m = new vm.SourceTextModule(readFileSync(path, "utf8"), { identifier: path, context });
      cache.set(path, m);
    }
    return m;
  };
  const linker = (specifier, referencing) => {
    if (!specifier.startsWith(".")) {
      throw new Error(`imports ${JSON.stringify(specifier)}, which is not bundled: Convex's runtime has no such module`);
    }
    return moduleAt(resolve(dirname(referencing.identifier), specifier));
  };
  const results = [];
  for (const path of walk(dir).filter((p) => !p.includes(`${join("_deps", "")}`))) {
    const rel = relative(dir, path);
    try {
      const m = moduleAt(path);
      await m.link(linker);
      await m.evaluate();
      const fns = Object.values(m.namespace).filter((x) => typeof x === "function" && (x.isQuery || x.isMutation || x.isAction));
      results.push({ module: rel, ok: true, functions: fns.length, exports: m.namespace });
    } catch (e) {
      results.push({ module: rel, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}

let failed = 0;
let modules = 0;
let functions = 0;
for (const dir of positionals) {
  for (const r of await loadAll(dir)) {
    modules++;
    if (r.ok) functions += r.functions;
    else {
      failed++;
      console.log(`✗ ${join(dir, r.module)}: ${r.error}`);
    }
    if (r.ok && r.module.endsWith("auth.config.js")) {
      console.log(`auth.config ${JSON.stringify(r.exports.default)}`);
    }
  }
}
console.log(`${failed === 0 ? "✓" : "✗"} ${modules - failed}/${modules} modules loaded, ${functions} functions registered`);
process.exit(failed === 0 ? 0 : 1);
