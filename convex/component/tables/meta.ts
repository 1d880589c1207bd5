import { defineTable } from "convex/server";
import { v } from "convex/values";

export const componentInfo = {
  // Written by nothing yet; reserved for per-deployment settings. Read by `health.info`.
  component_settings: defineTable({
    key: v.string(),
    value: v.string(),
  }).index("key", ["key"]),
};
