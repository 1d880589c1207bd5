/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import schema from "./schema.js";

export const modules = import.meta.glob(["./**/*.ts", "!./**/*.test.ts", "!./testing.ts"]);

/** A convex-test instance running this component alone. */
export function initConvexTest() {
  return convexTest(schema, modules);
}
