import { defineSchema } from "convex/server";
import { diagnosticsTables } from "./tables/diagnostics.js";
import { conversationTables } from "./tables/conversations.js";
import { turnTables } from "./tables/turns.js";
import { requestTables } from "./tables/requests.js";
import { syncTables } from "./tables/sync.js";
import { deletionTables } from "./tables/deletion.js";
import { presenceTables } from "./tables/presence.js";
import { controlTables } from "./tables/control.js";

// Tables are defined one concern per file under ./tables; each says who writes and who reads it.
// Every row carries `actor` and every index starts with it: reads are scoped by construction.
export default defineSchema({
  ...diagnosticsTables,
  ...conversationTables,
  ...turnTables,
  ...requestTables,
  ...syncTables,
  ...deletionTables,
  ...presenceTables,
  ...controlTables,
});
