/** Normalize Convex function paths: `a/b.js:fn` ≡ `a/b:fn`; no `:` means the default export. */
import { BadRequest } from "./values.js";

export function normalizePath(path: string): { module: string; exportName: string } {
  if (typeof path !== "string" || path.length === 0 || path.length > 1024) {
    throw new BadRequest("BadFunctionPath", `Invalid function path: ${JSON.stringify(path)}`);
  }
  const [rawModule, exportName = "default", ...rest] = path.split(":");
  if (rest.length > 0 || rawModule.length === 0 || exportName.length === 0) {
    throw new BadRequest("BadFunctionPath", `Invalid function path: ${JSON.stringify(path)}`);
  }
  const module = rawModule.replace(/^\/+/, "").replace(/\.(js|ts|mjs|cjs)$/, "");
  return { module, exportName };
}

/** `/api/run/a/b/fn` → `a/b:fn`. */
export function runPathToUdfPath(rest: string): string {
  const parts = rest.split("/").filter(Boolean);
  if (parts.length < 2) throw new BadRequest("BadFunctionPath", `Invalid function path: /api/run/${rest}`);
  const fn = parts.pop()!;
  return `${parts.join("/")}:${fn}`;
}
