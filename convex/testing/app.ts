/// <reference types="vite/client" />
// Test helper (outside the functions folders: Convex bundles every module there, and this one imports convex-test).
import { convexTest } from "convex-test";
import schema from "../component/schema.js";

export const appModules = import.meta.glob(["../app/**/*.ts", "!../app/**/*.test.ts"]);
export const componentModules = import.meta.glob(["../component/**/*.ts", "!../component/**/*.test.ts"]);

/** The example app with the component mounted, as convex-test runs it. */
export function initAppTest() {
  const t = convexTest(undefined, appModules);
  t.registerComponent("codexConvex", schema, componentModules);
  return t;
}
