/**
 * Who is calling. JWTs are verified (signature, issuer, audience, expiry) against the app's auth config
 * (`convex/app/auth.config.ts`); the dev issuer's key pair lives in `<data>/dev-keys/` and is created on first
 * start, so `codex-convex dev-token` can mint tokens for it. The admin key (`<data>/admin-key`) authorizes
 * operator calls, including internal functions.
 */
import { createLocalJWKSet, createRemoteJWKSet, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, type JWTPayload } from "jose";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import type { Caller, Identity } from "./engine.js";
import { loadAuthConfig } from "./modules.gen.js";

export const DEV_ISSUER = "https://dev.codex-convex.local";
const DEV_KID = "codex-convex-dev-1";

type Provider = { type?: string; issuer?: string; domain?: string; jwks?: string; algorithm?: string; applicationID?: string };
type KeySet = ReturnType<typeof createLocalJWKSet>;

export class AuthFailure extends Error {}

const VERIFIED_TOKENS = 1024;
const VERIFIED_FOR_MS = 60_000;

// JWT claim → UserIdentity field, as Convex maps them.
const CLAIMS: Record<string, string> = {
  given_name: "givenName", family_name: "familyName", preferred_username: "preferredUsername",
  picture: "pictureUrl", email_verified: "emailVerified", phone_number: "phoneNumber",
  phone_number_verified: "phoneNumberVerified", updated_at: "updatedAt",
};

async function ensureDevKeys(dir: string): Promise<{ jwks: { keys: object[] } }> {
  const jwksPath = join(dir, "jwks.json");
  if (!existsSync(jwksPath)) {
    mkdirSync(dir, { recursive: true });
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: DEV_KID, alg: "RS256", use: "sig" };
    writeFileSync(join(dir, "private.pem"), await exportPKCS8(privateKey), { mode: 0o600 });
    writeFileSync(jwksPath, JSON.stringify({ keys: [jwk] }, null, 2));
  }
  return { jwks: JSON.parse(readFileSync(jwksPath, "utf8")) };
}

function ensureAdminKey(dataDir: string): string {
  const p = join(dataDir, "admin-key");
  if (!existsSync(p)) writeFileSync(p, `local-admin|${randomBytes(24).toString("hex")}\n`, { mode: 0o600 });
  return readFileSync(p, "utf8").trim();
}

function keySetFor(p: Provider, devJwks: { keys: object[] }): KeySet {
  const issuer = p.issuer ?? p.domain;
  if (issuer === DEV_ISSUER) return createLocalJWKSet(devJwks as never);
  if (p.jwks?.startsWith("data:")) {
    const body = p.jwks.slice(p.jwks.indexOf(",") + 1);
    const text = p.jwks.includes(";base64,") ? Buffer.from(body, "base64").toString("utf8") : decodeURIComponent(body);
    return createLocalJWKSet(JSON.parse(text));
  }
  const url = p.jwks ?? `${issuer?.replace(/\/$/, "")}/.well-known/jwks.json`;
  return createRemoteJWKSet(new URL(url)) as unknown as KeySet;
}

export class Auth {
  private constructor(
    private providers: Array<{ issuer: string; audience?: string; algorithms?: string[]; keys: KeySet }>,
    private adminKey: string,
    readonly devJwks: { keys: object[] },
  ) {}

  static async load(dataDir: string): Promise<Auth> {
    const { jwks } = await ensureDevKeys(join(dataDir, "dev-keys"));
    const adminKey = ensureAdminKey(dataDir);
    // The local backend is the dev issuer's home: auth.config.ts falls back to it only when this is set (on a
    // real deployment, missing issuer settings fail the deploy instead).
    process.env.CODEX_CONVEX_DEV_AUTH ??= "1";
    const authConfig = await loadAuthConfig();
    const providers = ((authConfig as { providers?: Provider[] }).providers ?? []).map((p) => ({
      issuer: p.issuer ?? p.domain ?? "",
      audience: p.applicationID,
      algorithms: p.algorithm ? [p.algorithm] : undefined,
      keys: keySetFor(p, jwks),
    }));
    return new Auth(providers, adminKey, jwks);
  }

  /** Tokens verified lately: a host sends the same one with every write (a signature check is ~0.3 ms). */
  private verified = new Map<string, { identity: Identity; expiresAt: number; until: number }>();

  /**
   * A user token → its identity and expiry. A token verified in the last minute is answered from memory until it
   * expires (then it is checked again, and refused as jose refuses it).
   * :throws AuthFailure: bad token, unknown issuer, no `exp`.
   */
  async verify(token: string): Promise<{ identity: Identity; expiresAt: number }> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit !== undefined && now < hit.until) return { identity: hit.identity, expiresAt: hit.expiresAt };
    const got = await this.verifyNow(token);
    if (this.verified.size >= VERIFIED_TOKENS) this.verified.clear();
    this.verified.set(token, { ...got, until: Math.min(got.expiresAt, now + VERIFIED_FOR_MS) });
    return got;
  }

  private async verifyNow(token: string): Promise<{ identity: Identity; expiresAt: number }> {
    let iss: string | undefined;
    try {
      const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as JWTPayload;
      iss = payload.iss;
    } catch {
      throw new AuthFailure("Could not decode token: not a JWT");
    }
    // The issuer is compared exactly as configured (`https://a/` and `https://a` are different issuers).
    const provider = this.providers.find((p) => p.issuer === iss);
    if (!provider) throw new AuthFailure(`No auth provider found matching the given token (issuer ${JSON.stringify(iss)})`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, provider.keys, {
        issuer: iss,
        audience: provider.audience,
        algorithms: provider.algorithms,
      }));
    } catch (e) {
      throw new AuthFailure(`Token verification failed: ${(e as Error).message}`);
    }
    const { iss: _i, sub, aud: _a, exp, iat: _t, nbf: _n, jti: _j, ...rest } = payload;
    if (!sub) throw new AuthFailure("Token verification failed: no subject (sub) claim");
    // Convex refuses tokens without an expiry (a leaked one would be valid forever).
    if (typeof exp !== "number") throw new AuthFailure("Token verification failed: Missing expiry (exp) claim");
    const claims: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(rest)) claims[CLAIMS[k] ?? k] = val;
    return { identity: { ...claims, subject: sub, issuer: iss!, tokenIdentifier: `${iss}|${sub}` }, expiresAt: exp * 1000 };
  }

  isAdminKey(key: string): boolean {
    const a = Buffer.from(key);
    const b = Buffer.from(this.adminKey);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** `Authorization` header → caller. :throws AuthFailure: on a bad token or admin key. */
  async fromHeader(header: string | undefined): Promise<Caller> {
    if (!header) return { kind: "anonymous" };
    const [scheme, ...rest] = header.split(" ");
    const value = rest.join(" ").trim();
    if (scheme === "Bearer") return { kind: "user", ...(await this.verify(value)) };
    if (scheme === "Convex") {
      if (this.isAdminKey(value)) return { kind: "admin" };
      throw new AuthFailure("The provided admin key was invalid for this instance");
    }
    // Never echo the header: without a scheme, its "scheme" is the token itself.
    throw new AuthFailure("Header must begin with `Bearer ` (a user token) or `Convex ` (the admin key)");
  }
}

export function callerKey(c: Caller): string {
  return c.kind === "user" ? `u:${c.identity.tokenIdentifier}` : c.kind;
}
