import { v } from "convex/values";
import { query } from "./_generated/server.js";
import { CONTRACT_VERSION, COMPONENT_NAME } from "./version.js";

/** What this component is and which host contract it implements. */
export const info = query({
  args: {},
  returns: v.object({ component: v.string(), contractVersion: v.number() }),
  handler: async () => ({ component: COMPONENT_NAME, contractVersion: CONTRACT_VERSION }),
});
