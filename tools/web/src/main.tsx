/**
 * The conversation page: the official Convex client (`ConvexReactClient`) against the deployment `codex-convex ui`
 * names in /config.json, signed in with tokens from /token (a dev token for the embedded backend's local user, or
 * the token given for a real deployment; asked again whenever Convex needs a fresh one).
 */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ConvexProvider, ConvexReactClient } from "convex/react";
import { anyApi } from "convex/server";
import { CodexProvider, type CodexChatApi } from "../../../convex/react/index.js";
import { App } from "./App.js";

type PageConfig = { url: string; local: boolean; subject: string | null };

async function fetchToken(): Promise<string | null> {
  const r = await fetch("/token", { cache: "no-store" });
  if (!r.ok) return null;
  return ((await r.json()) as { token: string | null }).token;
}

async function start() {
  const config = (await (await fetch("/config.json", { cache: "no-store" })).json()) as PageConfig;
  const client = new ConvexReactClient(config.url, { unsavedChangesWarning: false });
  client.setAuth(fetchToken);
  const api = anyApi.chat as unknown as CodexChatApi;
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <ConvexProvider client={client}>
        <CodexProvider api={api}>
          <App client={client} deployment={config.url} local={config.local} subject={config.subject} />
        </CodexProvider>
      </ConvexProvider>
    </StrictMode>,
  );
}

start().catch((e: unknown) => {
  document.getElementById("root")!.textContent = `could not start: ${String(e)}`;
});
