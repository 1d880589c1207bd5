import { ConvexError } from "convex/values";
import type { ErrorCode } from "./errorCodes.js";

/**
 * Every failure the component reports: a registered code (errorCodes.ts) and a message, thrown as
 * `ConvexError({ code, message, ...details })` so clients get it as `errorData`. Throwing rolls back the
 * mutation's writes, so a refused call leaves stored data unchanged.
 */
export type ErrorDetails = Record<string, string | number | boolean | null>;

export function fail(code: ErrorCode, message: string, details: ErrorDetails = {}): never {
  throw new ConvexError({ ...details, code, message });
}

/** A coded error kept on a job (its `lastError` / `error`), not thrown. */
export function coded(code: ErrorCode, message: string): { code: ErrorCode; message: string } {
  return { code, message };
}

export function isCodedError(e: unknown): e is ConvexError<{ code: string; message: string }> {
  return e instanceof ConvexError && typeof (e.data as { code?: unknown })?.code === "string";
}
