/**
 * Test helper for apps that mount this component (the package's `codex-convex/test` export):
 *
 *   import { convexTest } from "convex-test";
 *   import { register } from "codex-convex/test";
 *   const t = convexTest(appSchema, appModules);
 *   register(t);            // mounted as "codexConvex"
 *
 * It ships as TypeScript (vitest transforms it, so `import.meta.glob` works) and runs the published build in
 * dist/component: the same modules the Convex CLI bundles for a deployment.
 */
/// <reference types="vite/client" />
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./dist/component/schema.js";

export const modules = import.meta.glob(["./dist/component/**/*.js"]);

export function register(
  t: TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  name: string = "codexConvex",
): void {
  t.registerComponent(name, schema, modules);
}

export { schema };
export default { register, schema, modules };
