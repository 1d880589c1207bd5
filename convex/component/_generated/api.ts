/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";
import type * as diagnostics from "../diagnostics.js";
import type * as errors from "../errors.js";
import type * as health from "../health.js";
import type * as tables_diagnostics from "../tables/diagnostics.js";
import type * as tables_meta from "../tables/meta.js";
import type * as version from "../version.js";

const fullApi: ApiFromModules<{
  diagnostics: typeof diagnostics;
  errors: typeof errors;
  health: typeof health;
  "tables/diagnostics": typeof tables_diagnostics;
  "tables/meta": typeof tables_meta;
  version: typeof version;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {};
