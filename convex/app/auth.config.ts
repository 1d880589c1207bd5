/**
 * Who may call the app. The local backend's dev issuer is on by default; a real deployment sets
 * CODEX_CONVEX_AUTH_ISSUER / CODEX_CONVEX_AUTH_JWKS / CODEX_CONVEX_AUTH_AUDIENCE (or replaces this provider with
 * its own, e.g. Clerk or Auth0). The local backend verifies signature, issuer, audience and expiry.
 */
export const DEV_ISSUER = "https://dev.codex-convex.local";
export const DEV_AUDIENCE = "codex-convex";

export default {
  providers: [
    {
      type: "customJwt",
      issuer: process.env.CODEX_CONVEX_AUTH_ISSUER ?? DEV_ISSUER,
      jwks: process.env.CODEX_CONVEX_AUTH_JWKS ?? `${DEV_ISSUER}/.well-known/jwks.json`,
      algorithm: "RS256",
      applicationID: process.env.CODEX_CONVEX_AUTH_AUDIENCE ?? DEV_AUDIENCE,
    },
  ],
};
