// Convex's own lint rules (@convex-dev/eslint-plugin) over convex/, type-aware: `make lint` runs it from the
// repository root with --max-warnings 0. Beyond the recommended set: every public function of the app checks its
// caller first (require-access-control; the component's functions are not callable from outside a deployment), and
// no database read is unbounded (no-collect-in-query: `.take(n)`, `.paginate()` or a bounded helper instead).
import convexPlugin from "@convex-dev/eslint-plugin";
import tseslint from "typescript-eslint";

export default [
  { ignores: ["**/_generated/**", "**/node_modules/**", "**/dist/**"] },
  {
    files: ["convex/**/*.ts", "convex/**/*.tsx"],
    languageOptions: {
      parser: tseslint.parser,
      // each file with its nearest tsconfig.json (convex/tsconfig.json); test.ts (the `codex-convex/test` export,
      // which that project excludes) with the default options
      parserOptions: { projectService: { allowDefaultProject: ["convex/test.ts"] }, tsconfigRootDir: process.cwd() },
    },
  },
  ...convexPlugin.configs.recommended,
  {
    files: ["convex/app/**/*.ts"],
    ignores: ["convex/app/**/*.test.ts"],
    rules: { "@convex-dev/require-access-control": "error" },
  },
  {
    files: ["convex/**/*.ts"],
    ignores: ["convex/**/*.test.ts"],
    rules: { "@convex-dev/no-collect-in-query": "error" },
  },
];
