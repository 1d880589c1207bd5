/**
 * What one backend process takes on at once, so that no client (anonymous or not) can exhaust its memory or
 * starve everyone else. Each refusal has its own code; nothing is queued without bound.
 */
import { BadRequest } from "./values.js";

/** One request body. Convex caps function arguments at 16 MiB; the rest is room for the envelope. */
export const MAX_BODY_BYTES = 20 * 1024 * 1024;
/** All request bodies being read at once: 20 anonymous 20 MiB uploads used to take 450 MB. */
export const MAX_BUFFERED_BODY_BYTES = 64 * 1024 * 1024;
/** Open sync WebSockets. */
export const MAX_SYNC_CONNECTIONS = 256;
/** Open HTTP sockets (Node closes any past this at once). */
export const MAX_HTTP_SOCKETS = 512;
/** Queries one sync connection may subscribe to. */
export const MAX_QUERIES_PER_CONNECTION = 1024;
/** Actions running at once (they run outside the single writer and may take minutes). */
export const MAX_CONCURRENT_ACTIONS = 64;
/** A client that has not sent its headers by then is dropped (slow-loris). */
export const HEADERS_TIMEOUT_MS = 15_000;
/** A request not fully received by then is dropped. */
export const REQUEST_TIMEOUT_MS = 120_000;

/** A counter with a ceiling: `take` refuses (with `refusal()`) past it, `give` returns. */
export class Budget {
  private used = 0;

  constructor(
    readonly limit: number,
    private refusal: (used: number, want: number) => BadRequest,
  ) {}

  /** :throws BadRequest: when `n` more would pass the limit (nothing taken then). */
  take(n = 1) {
    if (this.used + n > this.limit) throw this.refusal(this.used, n);
    this.used += n;
  }

  give(n = 1) {
    this.used = Math.max(0, this.used - n);
  }
}

export const bodyBytes = new Budget(MAX_BUFFERED_BODY_BYTES, (used) =>
  new BadRequest("TooManyRequests", `the backend is already reading ${(used / 1024 / 1024).toFixed(1)} MiB of request bodies (limit ${MAX_BUFFERED_BODY_BYTES / 1024 / 1024} MiB); retry shortly`, 429));

export const actionSlots = new Budget(MAX_CONCURRENT_ACTIONS, () =>
  new BadRequest("TooManyConcurrentActions", `${MAX_CONCURRENT_ACTIONS} actions are already running (the limit); retry shortly`, 429));
