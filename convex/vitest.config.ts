import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["component/**/*.test.ts", "app/**/*.test.ts", "react/**/*.test.ts", "../tools/local-backend/src/**/*.test.ts"],
  },
});
