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

const DEVICE_ID = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Anonymous mode (contract.allowAnonymous): a caller without identity acts as `anon:<deviceId>`, one scope per
 * device (16+ random characters, kept by the client), never a scope shared by every anonymous caller.
 */
export async function requireActorOrDevice(ctx: { auth: Auth }, anonymousDeviceId: string | undefined): Promise<string> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity !== null) return identity.tokenIdentifier;
  if (anonymousDeviceId === undefined || !DEVICE_ID.test(anonymousDeviceId)) {
    throw new ConvexError({ code: "E_AUTH_REQUIRED", message: "sign in, or pass an anonymousDeviceId of 16-128 [A-Za-z0-9_-]" });
  }
  return `anon:${anonymousDeviceId}`;
}
