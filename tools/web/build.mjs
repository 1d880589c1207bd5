// Build the conversation page served by `codex-convex ui`: src/main.tsx (React, the codex-convex/react hooks, the
// official Convex client) bundled by esbuild into dist/app.js, with dist/index.html and dist/app.css beside it.
import { createRequire } from "node:module";
import { copyFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const convexDir = join(here, "..", "..", "convex");
const { build } = createRequire(join(convexDir, "package.json"))("esbuild");

mkdirSync(join(here, "dist"), { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.tsx")],
  bundle: true,
  platform: "browser",
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  minify: true,
  outfile: join(here, "dist", "app.js"),
  nodePaths: [join(convexDir, "node_modules")],
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
for (const f of ["index.html", "app.css"]) copyFileSync(join(here, "src", f), join(here, "dist", f));
