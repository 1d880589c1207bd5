import { defineComponent } from "convex/server";

// The codex-convex component: the server of record for Codex conversations.
export default defineComponent("codexConvex");
