import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    // Tests assert behaviour, not speed (speed lives in tools/bench): several run 2.5–5 s alone and twice that on a
    // busy shared 2-core machine, so vitest's 5 s default would make them timed tests.
    testTimeout: 60_000,
    server: { deps: { inline: ["convex-test"] } },
    include: ["component/**/*.test.ts", "app/**/*.test.ts", "react/**/*.test.ts", "../tools/local-backend/src/**/*.test.ts"],
  },
});
