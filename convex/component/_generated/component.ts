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
