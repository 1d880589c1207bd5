/** "5 s ago", "3 min ago", … (the page's clock against the row's). */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toLocaleDateString();
}

/** A request's params as JSON, or {} when they do not parse (shown, never thrown). */
export function parseJson(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** An error as the user should read it: a coded error's code and message (ConvexError data), else its text. */
export function readable(e: unknown): string {
  const data = (e as { data?: { code?: unknown; message?: unknown } }).data;
  if (typeof data?.code === "string") return `${data.code}: ${String(data.message ?? "")}`;
  return e instanceof Error ? e.message : String(e);
}
