/* eslint-disable */
/**
 * Generated data model types.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  DataModelFromSchemaDefinition,
  DocumentByName,
  TableNamesInDataModel,
  SystemTableNames,
} from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

/** The names of all tables. */
export type TableNames = TableNamesInDataModel<DataModel>;

/** The type of a document stored in `TableName`. */
export type Doc<TableName extends TableNames> = DocumentByName<
  DataModel,
  TableName
>;

/** An identifier for a document (a string at runtime). */
export type Id<TableName extends TableNames | SystemTableNames> =
  GenericId<TableName>;

/** The data model, derived from the schema. */
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
