import { expect, it } from "vitest";
import { initAppTest } from "../testing/app.js";
import { api } from "./_generated/api.js";

it("the app reaches the mounted component", async () => {
  const t = initAppTest();
  expect((await t.query(api.health.info, {})).component).toBe("codexConvex");
});
