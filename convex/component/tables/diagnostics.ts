import { defineTable } from "convex/server";
import { v } from "convex/values";

export const diagnosticsTables = {
  // Written by `diagnostics.recordPing` (insert) and the scheduled `diagnostics.completePing` (patch);
  // read by `diagnostics.getPing`. Proves the scheduler runs on a deployment (doctor, conformance tests).
  diagnostic_pings: defineTable({
    actor: v.string(),
    nonce: v.string(),
    state: v.union(v.literal("scheduled"), v.literal("done")),
    createdAt: v.number(),
    ranAt: v.optional(v.number()),
  }).index("actor_nonce", ["actor", "nonce"]),
};
