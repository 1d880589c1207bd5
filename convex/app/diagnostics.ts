/** Deployment self-checks (doctor, conformance tests): identity, a scheduled round trip, an action echo. */
import { v } from "convex/values";
import { action, internalQuery, mutation, query } from "./_generated/server.js";
import { components } from "./_generated/api.js";
import { requireActor } from "./actor.js";

// eslint-disable-next-line @convex-dev/require-access-control -- public by design: says who the caller is (null without identity)
export const whoami = query({
  args: {},
  returns: v.union(v.null(), v.object({ subject: v.string(), issuer: v.string(), tokenIdentifier: v.string() })),
  handler: async (ctx) => {
    const id = await ctx.auth.getUserIdentity();
    return id === null ? null : { subject: id.subject, issuer: id.issuer, tokenIdentifier: id.tokenIdentifier };
  },
});

export const ping = mutation({
  args: { nonce: v.string(), delayMs: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const actor = await requireActor(ctx);
    return await ctx.runMutation(components.codexConvex.diagnostics.recordPing, { actor, ...args });
  },
});

export const getPing = query({
  args: { nonce: v.string() },
  returns: v.union(v.null(), v.object({ state: v.string(), createdAt: v.number(), ranAt: v.union(v.number(), v.null()) })),
  handler: async (ctx, { nonce }) => {
    const actor = await requireActor(ctx);
    return await ctx.runQuery(components.codexConvex.diagnostics.getPing, { actor, nonce });
  },
});

// eslint-disable-next-line @convex-dev/require-access-control -- public by design: echoes its argument, reads no data
export const echo = action({
  args: { value: v.any() },
  returns: v.object({ value: v.any(), subject: v.union(v.string(), v.null()) }),
  handler: async (ctx, { value }) => {
    const id = await ctx.auth.getUserIdentity();
    return { value, subject: id?.subject ?? null };
  },
});

/** Never callable from outside: doctor and the conformance tests check that the deployment refuses it. */
export const internalProbe = internalQuery({
  args: {},
  returns: v.string(),
  handler: async () => "internal functions must not be reachable from clients",
});
