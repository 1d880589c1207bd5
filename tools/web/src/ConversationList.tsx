import { useConversations } from "../../../convex/react/index.js";
import { conversationHref } from "./route.js";
import { ago } from "./format.js";

export function ConversationList(props: { selected: string | null }) {
  const { results, status, loadMore } = useConversations({ pageSize: 25 });
  return (
    <div data-testid="conversation-list">
      <h2>Conversations</h2>
      {status === "LoadingFirstPage" ? <p className="hint">Loading…</p> : null}
      {status !== "LoadingFirstPage" && results.length === 0 ? <p className="hint">No conversations yet: run <code>codex-convex run</code> or <code>codex-convex sync</code>.</p> : null}
      <ul>
        {results.map((c) => (
          <li key={c.conversationId} className={c.conversationId === props.selected ? "selected" : ""}>
            <a href={conversationHref(c.conversationId)} data-testid="conversation-link" data-conversation-id={c.conversationId}>
              <span className="title">{c.title ?? c.preview ?? "Untitled"}</span>
              {c.threadId ? <span className="thread-id">thread {c.threadId}</span> : null}
              <span className="meta">
                <span className={`badge sync-${c.syncState}`}>{c.syncState}</span>
                {c.status !== "active" ? <span className="badge">{c.status}</span> : null}
                {c.parentConversationId !== null ? <span className="badge" data-testid="sub-agent-badge">sub-agent</span> : null}
                <span>{ago(c.updatedAt)}</span>
              </span>
            </a>
          </li>
        ))}
      </ul>
      {status === "CanLoadMore" ? <button className="more" onClick={() => loadMore(25)}>More</button> : null}
    </div>
  );
}
