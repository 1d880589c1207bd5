/// <reference types="vite/client" />
// Test helper (outside the functions folders: Convex bundles every module there, and this one imports convex-test).
import { convexTest } from "convex-test";
import schema from "../component/schema.js";

export const modules = import.meta.glob(["../component/**/*.ts", "!../component/**/*.test.ts"]);

/** A convex-test instance running this component alone. */
export function initConvexTest() {
  return convexTest(schema, modules);
}
