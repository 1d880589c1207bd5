/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/** The component's public functions, as the app that mounts it sees them (`components.codexConvex`). */
export type ComponentApi<Name extends string | undefined = string | undefined> =
  {
    diagnostics: {
      getPing: FunctionReference<
        "query",
        "internal",
        { actor: string; nonce: string },
        null | { state: string; createdAt: number; ranAt: number | null },
        Name
      >;
      recordPing: FunctionReference<
        "mutation",
        "internal",
        { actor: string; nonce: string; delayMs: number },
        null,
        Name
      >;
    };
    health: {
      info: FunctionReference<
        "query",
        "internal",
        {},
        { component: string; contractVersion: number },
        Name
      >;
    };
  };
