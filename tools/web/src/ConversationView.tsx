import { useConversation, useConversationAgents } from "../../../convex/react/index.js";
import { Approvals } from "./Approvals.js";
import { Composer } from "./Composer.js";
import { GoalForm } from "./GoalForm.js";
import { MessageRow } from "./MessageRow.js";
import { Plan } from "./Plan.js";
import { ProgressBar } from "./ProgressBar.js";
import { ago, parseJson } from "./format.js";

// How a goal's status reads (Codex's ThreadGoalStatus).
const GOAL_STATUS: Record<string, string> = {
  active: "Codex works on it", paused: "paused", blocked: "blocked", usageLimited: "usage limit reached",
  budgetLimited: "budget spent", complete: "reached",
};

export function ConversationView(props: { conversationId: string }) {
  const c = useConversation(props.conversationId);
  const agents = useConversationAgents(props.conversationId);
  if (c.status === "loading") return <p className="hint">Loading…</p>;
  if (c.status === "notFound") return <p className="hint" data-testid="not-found">This conversation is not there (deleted, or not yours).</p>;
  const running = c.turns.some((t) => t.state === "running");
  const asking = c.pendingRequests.length > 0;
  const latestTurnId = c.turns.at(-1)?.turnId; // a turn's error shows while it is the latest
  const usage = c.tokenUsage?.latest;
  return (
    <div className="conversation" data-testid="conversation" data-conversation-id={c.conversation.conversationId}>
      <div className="conv-head">
        <h2>{c.conversation.title ?? c.conversation.preview ?? "Untitled conversation"}</h2>
        <div className="conv-meta">
          {/* Codex waiting on an approval or a question has no message streaming: its turn is running all the same */}
          <span className={`badge turn-${running || asking ? "running" : "idle"}`} data-testid="turn-state">{running ? "Codex is working…" : asking ? "waiting for your answer" : "idle"}</span>
          {running || c.goal?.status === "active" ? (
            <button className="stop" data-testid="stop" disabled={c.stopping || !c.host?.online} onClick={() => void c.interrupt()}
              title={c.host?.online ? "Ask the host driving this conversation to stop Codex" : "No host drives this conversation now"}>
              {c.stopping ? "Stopping…" : "Stop"}
            </button>
          ) : null}
          {c.host ? <span className={`badge host-${c.host.online ? "online" : "offline"}`} data-testid="host">{c.host.label}: {c.host.online ? "online" : `gone ${ago(c.host.lastSeenAt)}`}</span> : null}
          {usage ? <span className="badge" data-testid="tokens">{usage.totalTokens.toLocaleString()} tokens</span> : null}
        </div>
        {c.conversation.parentConversationId !== null || agents.length > 0 ? (
          <div className="conv-links" data-testid="agents">
            {c.conversation.parentConversationId !== null ? <a href={`#/c/${c.conversation.parentConversationId}`} data-testid="parent-link">↑ the conversation that spawned this sub-agent</a> : null}
            {agents.length > 0 ? <span>sub-agents: {agents.map((a) => <a key={a.conversationId} href={`#/c/${a.conversationId}`} data-testid="agent-link">{a.title ?? a.preview ?? a.conversationId}</a>)}</span> : null}
          </div>
        ) : null}
        {c.latestJob !== null || c.syncProgress.syncState === "syncing" || c.syncProgress.syncState === "drifted" ? (
          <ProgressBar testId="conversation-sync" fraction={c.syncProgress.fraction} label={c.syncProgress.label} state={c.syncProgress.syncState} />
        ) : null}
      </div>
      {c.notices.filter((n) => (n.kind === "error" || n.kind === "warning") && (n.turnId === null || n.turnId === latestTurnId)).slice(0, 1).map((n) => (
        <p className={`notice notice-${n.kind}`} key={`${n.at}-${n.kind}`} data-testid="notice" data-kind={n.kind}>
          <strong>{n.kind === "warning" ? "Warning" : parseJson(n.detailsJson).willRetry === true ? "Model error, Codex retries" : "Model error"}</strong> {ago(n.at)}: {n.message}
        </p>
      ))}
      {c.goal !== null ? (
        <p className={`goal goal-${c.goal.status}`} data-testid="goal" data-status={c.goal.status}>
          <strong>Goal</strong> ({GOAL_STATUS[c.goal.status]}): {c.goal.objective}
          <span className="hint"> · {c.goal.tokensUsed.toLocaleString()} tokens{c.goal.tokenBudget !== null ? ` of ${c.goal.tokenBudget.toLocaleString()}` : ""}</span>
          {c.goal.status !== "active" && c.goal.status !== "complete" ? (
            <button className="resume" data-testid="resume-goal" disabled={c.resuming || !c.host?.online} onClick={() => void c.resumeGoal()}
              title={c.host?.online ? "Ask the host driving this conversation to resume the goal: Codex goes on by itself" : "No host drives this conversation now"}>
              {c.resuming ? "Resuming…" : "Resume"}
            </button>
          ) : null}
        </p>
      ) : null}
      {c.conversation.parentConversationId !== null ? null : (
        <GoalForm hostOnline={c.host?.online === true} setting={c.settingGoal} control={c.control} setGoal={c.setGoal}
          replaces={c.goal !== null && c.goal.status !== "complete"} />
      )}
      <Approvals requests={c.pendingRequests} respond={c.respond} answer={c.answer} conversationId={c.conversation.conversationId} />
      {c.hasOlderMessages ? (
        <button className="more" data-testid="load-older" disabled={c.loadingOlder} onClick={() => c.loadOlder()}>
          {c.loadingOlder ? "Loading…" : "Show older messages"}
        </button>
      ) : null}
      <ol className="messages" data-testid="messages">
        {c.messages.map((m, i) => <MessageRow key={m.optimistic ? `pending-${i}` : `${m.turnId}/${m.itemId}`} message={m} />)}
      </ol>
      <Plan plan={c.plan} />
      {c.conversation.parentConversationId !== null ? null : <Composer conversationId={c.conversation.conversationId} hostOnline={c.host?.online === true} canSend={c.canSend}
        queued={c.queued} lastSent={c.lastSent} send={c.send} />}
    </div>
  );
}
