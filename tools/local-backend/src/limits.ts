/** Convex's per-document limits, checked on every write (https://docs.convex.dev/production/state/limits). */
import { getDocumentSize, type Value } from "convex/values";
import { __DatabaseFake, __tableNameFromId } from "convex-test";

export const MAX_DOCUMENT_BYTES = 1024 * 1024;
export const MAX_ARRAY_ELEMENTS = 8192;
export const MAX_NESTING = 16;

function walk(v: unknown, depth: number, path: string) {
  if (depth > MAX_NESTING) throw new Error(`Value is too nested (nested depth ${depth} > maximum nested depth ${MAX_NESTING}) at ${path || "the top level"}`);
  if (Array.isArray(v)) {
    if (v.length > MAX_ARRAY_ELEMENTS) throw new Error(`Array length is too long (${v.length} > maximum length ${MAX_ARRAY_ELEMENTS}) at ${path}`);
    v.forEach((x, i) => walk(x, depth + 1, `${path}[${i}]`));
  } else if (v !== null && typeof v === "object" && !(v instanceof ArrayBuffer)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (depth > 0 && (k.startsWith("$") || k.startsWith("_"))) {
        throw new Error(`Field name ${k} starts with a '$' or '_', which is reserved (at ${path || "the top level"})`);
      }
      walk(x, depth + 1, path ? `${path}.${k}` : k);
    }
  }
}

/** :throws Error: with Convex's wording, when a document breaks a limit. */
export function checkDocument(table: string, doc: Record<string, unknown>) {
  const size = getDocumentSize(doc as Record<string, Value>);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new Error(`Value is too large (${(size / 1024 / 1024).toFixed(2)} MiB > maximum size 1 MiB) in table "${table}"`);
  }
  for (const [k, x] of Object.entries(doc)) {
    if ((k.startsWith("$") || (k.startsWith("_") && k !== "_id" && k !== "_creationTime")) && !table.startsWith("_")) {
      throw new Error(`Field name ${k} starts with a '$' or '_', which is reserved`);
    }
    walk(x, 1, k);
  }
}

let installed = false;

/** Check every write of convex-test's database against the limits above (once per process). */
export function enforceDocumentLimits() {
  if (installed) return;
  installed = true;
  const P = __DatabaseFake.prototype;
  const addWrite = P._addWrite;
  P._addWrite = function (this: unknown, id: string, value: Record<string, unknown> | null) {
    if (value !== null) checkDocument(__tableNameFromId(id) ?? "?", value);
    return addWrite.call(this, id, value);
  };
}
