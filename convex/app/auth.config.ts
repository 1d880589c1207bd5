/**
 * Who may call the app: one customJwt provider configured from the deployment's environment
 *
 *   npx convex env set CODEX_CONVEX_AUTH_ISSUER https://your-issuer.example     # the token's `iss`, exactly
 *   npx convex env set CODEX_CONVEX_AUTH_JWKS https://your-issuer.example/.well-known/jwks.json
 *   npx convex env set CODEX_CONVEX_AUTH_AUDIENCE your-audience                 # the token's `aud`
 *
 * or replace this file with your provider's (Clerk, Auth0, Convex Auth: see the README). A missing setting fails the
 * deploy with its name: it never falls back to a default issuer. Only the local backend (which sets
 * CODEX_CONVEX_DEV_AUTH=1) uses the dev issuer it signs `codex-convex dev-token` tokens for.
 */
export const DEV_ISSUER = "https://dev.codex-convex.local";
export const DEV_AUDIENCE = "codex-convex";

// Convex gives auth.config its deployment's environment as `process.env` (typed here without Node's types).
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const devAuth = env.CODEX_CONVEX_DEV_AUTH === "1";

function setting(name: string, devDefault: string): string {
  const value = env[name];
  if (value !== undefined && value !== "") return value;
  if (devAuth) return devDefault;
  throw new Error(
    `auth.config.ts: ${name} is not set on this deployment. Set it (npx convex env set ${name} …) or replace ` +
      "auth.config.ts with your identity provider's configuration (see the codex-convex README, \"Auth\").",
  );
}

export default {
  providers: [
    {
      type: "customJwt",
      issuer: setting("CODEX_CONVEX_AUTH_ISSUER", DEV_ISSUER),
      jwks: setting("CODEX_CONVEX_AUTH_JWKS", `${DEV_ISSUER}/.well-known/jwks.json`),
      algorithm: "RS256",
      applicationID: setting("CODEX_CONVEX_AUTH_AUDIENCE", DEV_AUDIENCE),
    },
  ],
};
