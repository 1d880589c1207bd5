import { useEffect, useState } from "react";
import type { ConvexReactClient } from "convex/react";
import { ConversationList } from "./ConversationList.js";
import { ConversationView } from "./ConversationView.js";
import { Jobs } from "./Jobs.js";
import { useRoute } from "./route.js";

/** Whether the WebSocket is up: shown in the header, so a restart of the backend is visible, then its recovery. */
function useConnected(client: ConvexReactClient): boolean {
  const [connected, setConnected] = useState(() => client.connectionState().isWebSocketConnected);
  useEffect(() => client.subscribeToConnectionState((s) => setConnected(s.isWebSocketConnected)), [client]);
  return connected;
}

export function App(props: { client: ConvexReactClient; deployment: string; local: boolean; subject: string | null }) {
  const route = useRoute();
  const connected = useConnected(props.client);
  const selected = route.page === "conversation" ? route.conversationId : null;
  return (
    <div className={`app page-${route.page}`}>
      <header className="top">
        <a className="brand" href="#/">codex-convex</a>
        <nav>
          <a href="#/" className={route.page !== "jobs" ? "active" : ""}>Conversations</a>
          <a href="#/jobs" className={route.page === "jobs" ? "active" : ""} data-testid="nav-jobs">Jobs</a>
        </nav>
        <span className={`conn ${connected ? "up" : "down"}`} data-testid="connection" title={props.deployment}>
          {connected ? "live" : "reconnecting…"}
        </span>
      </header>
      {route.page === "jobs" ? (
        <main className="single"><Jobs /></main>
      ) : (
        <main className="split">
          <aside className="list"><ConversationList selected={selected} /></aside>
          <section className="detail">
            {selected ? <ConversationView conversationId={selected} /> : <p className="hint">Pick a conversation.</p>}
          </section>
        </main>
      )}
      <footer className="foot">
        {props.local ? `embedded local backend · signed in as ${props.subject ?? "the local user"}` : `deployment ${props.deployment}`}
      </footer>
    </div>
  );
}
