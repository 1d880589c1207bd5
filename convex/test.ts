/**
 * Test helper for apps that mount this component: `register(t)` adds it to a convex-test instance.
 *
 *   const t = convexTest(appSchema, appModules);
 *   register(t);            // mounted as "codexConvex"
 */
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import schema from "./component/schema.js";

export const componentModules = import.meta.glob(["./component/**/*.ts", "!./component/**/*.test.ts", "!./component/testing.ts"]);

export function register(
  t: TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  name: string = "codexConvex",
): void {
  t.registerComponent(name, schema, componentModules);
}

export { schema };
export default { register, schema };
