/**
 * The actor of a call, from `ctx.auth` only: never from the caller's arguments. No identity means
 * `E_AUTH_REQUIRED`. The actor is the identity's `tokenIdentifier` (`issuer|subject`), unique per provider.
 */
import { ConvexError } from "convex/values";
import type { Auth } from "convex/server";

export async function requireActor(ctx: { auth: Auth }): Promise<string> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) {
    throw new ConvexError({ code: "E_AUTH_REQUIRED", message: "sign in first: this call needs an identity" });
  }
  return identity.tokenIdentifier;
}
