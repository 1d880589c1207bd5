import { v } from "convex/values";
import { query } from "./_generated/server.js";
import { components } from "./_generated/api.js";

/** The mounted component's info, seen through the app (proves the mount works). */
// eslint-disable-next-line @convex-dev/require-access-control -- public by design: the component's name and version only
export const info = query({
  args: {},
  returns: v.object({ component: v.string(), contractVersion: v.number() }),
  handler: async (ctx) => await ctx.runQuery(components.codexConvex.health.info, {}),
});
