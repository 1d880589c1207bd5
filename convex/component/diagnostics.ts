/**
 * Deployment self-checks used by `codex-convex doctor` and the conformance tests: a scheduled round trip.
 * Touches only `diagnostic_pings`.
 */
import { v } from "convex/values";
import { internalMutation, mutation, query } from "./_generated/server.js";
import { internal } from "./_generated/api.js";
import { fail } from "./errors.js";

const MAX_DELAY_MS = 60_000; // a ping is a liveness check; anything longer is a mistake

export const recordPing = mutation({
  args: { actor: v.string(), nonce: v.string(), delayMs: v.number() },
  returns: v.null(),
  handler: async (ctx, { actor, nonce, delayMs }) => {
    if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
      fail("E_DIAG_BAD_DELAY", `delayMs must be between 0 and ${MAX_DELAY_MS}`, { delayMs });
    }
    const existing = await ctx.db
      .query("diagnostic_pings")
      .withIndex("actor_nonce", (q) => q.eq("actor", actor).eq("nonce", nonce))
      .unique();
    if (existing !== null) fail("E_DIAG_DUPLICATE_NONCE", "this nonce was already used", { nonce });
    const id = await ctx.db.insert("diagnostic_pings", { actor, nonce, state: "scheduled", createdAt: Date.now() });
    await ctx.scheduler.runAfter(delayMs, internal.diagnostics.completePing, { id });
    return null;
  },
});

export const completePing = internalMutation({
  args: { id: v.id("diagnostic_pings") },
  returns: v.null(),
  handler: async (ctx, { id }) => {
    const ping = await ctx.db.get("diagnostic_pings", id);
    if (ping === null || ping.state !== "scheduled") return null;
    await ctx.db.patch("diagnostic_pings", id, { state: "done", ranAt: Date.now() });
    return null;
  },
});

export const getPing = query({
  args: { actor: v.string(), nonce: v.string() },
  returns: v.union(v.null(), v.object({ state: v.string(), createdAt: v.number(), ranAt: v.union(v.number(), v.null()) })),
  handler: async (ctx, { actor, nonce }) => {
    const ping = await ctx.db
      .query("diagnostic_pings")
      .withIndex("actor_nonce", (q) => q.eq("actor", actor).eq("nonce", nonce))
      .unique();
    return ping === null ? null : { state: ping.state, createdAt: ping.createdAt, ranAt: ping.ranAt ?? null };
  },
});
