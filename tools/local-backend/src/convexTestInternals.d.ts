// Internals of convex-test that the bundle exposes (build.mjs appends the export): the durable engine patches
// DatabaseFake's storage and query methods.
import "convex-test";

declare module "convex-test" {
  export const __DatabaseFake: { prototype: Record<string, any> };
  export function __evaluateFilter(doc: unknown, filter: unknown): boolean;
  export function __tableNameFromId(id: string): string | null;
  export const __TransactionMetricsTracker: { prototype: Record<string, any> };
  export const __TransactionManager: { prototype: Record<string, any> };
}
