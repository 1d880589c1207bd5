/**
 * Which web pages may talk to the backend. Browsers send `Origin` with every cross-origin request and WebSocket
 * upgrade; the official Convex clients outside a browser send none. Pages served from this machine (loopback) and
 * the origins given with `--allow-origin` are admitted; any other page the user happens to open is refused, on
 * WebSocket upgrades and on every HTTP route (a form POST needs no preflight, so CORS headers alone would not stop it).
 */
export const CORS_ALLOW_HEADERS = "Authorization, Content-Type, Convex-Client";
export const CORS_ALLOW_METHODS = "GET, POST, OPTIONS";
export const CORS_MAX_AGE_S = 86_400;

/** `http(s)://localhost|127.x.x.x|[::1][:port]`: pages served from this machine. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return (u.protocol === "http:" || u.protocol === "https:") && (u.hostname === "localhost" || u.hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(u.hostname));
  } catch {
    return false;
  }
}

export class Origins {
  private extra: Set<string>;

  constructor(allowed: string[]) {
    this.extra = new Set(allowed.map((o) => o.replace(/\/+$/, "")));
  }

  /** No Origin (not a browser), a loopback page or an allowed one. */
  admits(origin: string | undefined): boolean {
    return origin === undefined || isLoopbackOrigin(origin) || this.extra.has(origin);
  }

  /** Headers that let an admitted page read the response (none when the caller is not a browser). */
  corsHeaders(origin: string | undefined): Record<string, string> {
    if (origin === undefined || !this.admits(origin)) return {};
    return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
  }
}
