import { defineSchema } from "convex/server";
import { componentInfo } from "./tables/meta.js";
import { diagnosticsTables } from "./tables/diagnostics.js";

// Tables are defined one concern per file under ./tables; each file says who writes and who reads them.
export default defineSchema({
  ...componentInfo,
  ...diagnosticsTables,
});
