import { ConvexError } from "convex/values";

/**
 * Every failure the component reports: a stable code (`E_<AREA>_<WHAT>`) and a message, thrown as
 * `ConvexError({ code, message, ...details })` so clients get it as `errorData`. Throwing rolls back the
 * mutation's writes, so a refused call leaves stored data unchanged.
 */
export type ErrorDetails = Record<string, string | number | boolean | null>;

export function fail(code: string, message: string, details: ErrorDetails = {}): never {
  throw new ConvexError({ ...details, code, message });
}

export function isCodedError(e: unknown): e is ConvexError<{ code: string; message: string }> {
  return e instanceof ConvexError && typeof (e.data as { code?: unknown })?.code === "string";
}
