import { describe, expect, it } from "vitest";
import { initConvexTest } from "../testing/component.js";
import { api } from "./_generated/api.js";
import { CONTRACT_VERSION } from "./version.js";

describe("health.info", () => {
  it("reports the component name and contract version", async () => {
    const t = initConvexTest();
    expect(await t.query(api.health.info, {})).toEqual({ component: "codexConvex", contractVersion: CONTRACT_VERSION });
  });
});
