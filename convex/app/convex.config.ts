import { defineApp } from "convex/server";
import codexConvex from "../component/convex.config.js";

// The example app: mounts the component under the name the host shim expects.
const app = defineApp();
app.use(codexConvex);
export default app;
