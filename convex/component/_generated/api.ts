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
import type * as bufferedDb from "../bufferedDb.js";
import type * as clientMessages from "../clientMessages.js";
import type * as control from "../control.js";
import type * as conversations from "../conversations.js";
import type * as deletion from "../deletion.js";
import type * as deletionPlan from "../deletionPlan.js";
import type * as diagnostics from "../diagnostics.js";
import type * as errorCodes from "../errorCodes.js";
import type * as errors from "../errors.js";
import type * as hashing from "../hashing.js";
import type * as health from "../health.js";
import type * as ingest from "../ingest.js";
import type * as ingestApply from "../ingestApply.js";
import type * as ingestEvents from "../ingestEvents.js";
import type * as itemMessages from "../itemMessages.js";
import type * as jobEngine from "../jobEngine.js";
import type * as limits from "../limits.js";
import type * as messages from "../messages.js";
import type * as presence from "../presence.js";
import type * as replace from "../replace.js";
import type * as requests from "../requests.js";
import type * as scope from "../scope.js";
import type * as syncBase from "../syncBase.js";
import type * as syncJobState from "../syncJobState.js";
import type * as syncJobs from "../syncJobs.js";
import type * as syncSources from "../syncSources.js";
import type * as tables_control from "../tables/control.js";
import type * as tables_conversations from "../tables/conversations.js";
import type * as tables_deletion from "../tables/deletion.js";
import type * as tables_diagnostics from "../tables/diagnostics.js";
import type * as tables_presence from "../tables/presence.js";
import type * as tables_requests from "../tables/requests.js";
import type * as tables_sync from "../tables/sync.js";
import type * as tables_turns from "../tables/turns.js";
import type * as text from "../text.js";
import type * as threadState from "../threadState.js";
import type * as threads from "../threads.js";
import type * as tokenUsage from "../tokenUsage.js";
import type * as turns from "../turns.js";
import type * as validators from "../validators.js";
import type * as version from "../version.js";
import type * as views from "../views.js";
import type * as watchdog from "../watchdog.js";

const fullApi: ApiFromModules<{
  bufferedDb: typeof bufferedDb;
  clientMessages: typeof clientMessages;
  control: typeof control;
  conversations: typeof conversations;
  deletion: typeof deletion;
  deletionPlan: typeof deletionPlan;
  diagnostics: typeof diagnostics;
  errorCodes: typeof errorCodes;
  errors: typeof errors;
  hashing: typeof hashing;
  health: typeof health;
  ingest: typeof ingest;
  ingestApply: typeof ingestApply;
  ingestEvents: typeof ingestEvents;
  itemMessages: typeof itemMessages;
  jobEngine: typeof jobEngine;
  limits: typeof limits;
  messages: typeof messages;
  presence: typeof presence;
  replace: typeof replace;
  requests: typeof requests;
  scope: typeof scope;
  syncBase: typeof syncBase;
  syncJobState: typeof syncJobState;
  syncJobs: typeof syncJobs;
  syncSources: typeof syncSources;
  "tables/control": typeof tables_control;
  "tables/conversations": typeof tables_conversations;
  "tables/deletion": typeof tables_deletion;
  "tables/diagnostics": typeof tables_diagnostics;
  "tables/presence": typeof tables_presence;
  "tables/requests": typeof tables_requests;
  "tables/sync": typeof tables_sync;
  "tables/turns": typeof tables_turns;
  text: typeof text;
  threadState: typeof threadState;
  threads: typeof threads;
  tokenUsage: typeof tokenUsage;
  turns: typeof turns;
  validators: typeof validators;
  version: typeof version;
  views: typeof views;
  watchdog: typeof watchdog;
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
