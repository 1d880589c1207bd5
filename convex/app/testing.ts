/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import { register } from "../test.js";

export const modules = import.meta.glob(["./**/*.ts", "!./**/*.test.ts", "!./testing.ts"]);

/** The example app with the component mounted, as convex-test runs it. */
export function initAppTest() {
  const t = convexTest(undefined, modules);
  register(t);
  return t;
}
