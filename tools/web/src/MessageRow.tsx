import { useMessageText, type ShownMessage, type Message } from "../../../convex/react/index.js";

/** A diff's lines, coloured by their first character. */
function Diff(props: { text: string }) {
  return (
    <pre className="diff">
      {props.text.split("\n").map((line, i) => (
        <span key={i} className={line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : ""}>{line + "\n"}</span>
      ))}
    </pre>
  );
}

/** How a tool the model used is labelled, by its item kind (what it did is the message's summary). Words, not emoji:
 * a machine without an emoji font shows those as empty boxes. */
const TOOL_LABELS: Record<string, string> = {
  webSearch: "web", imageView: "image", imageGeneration: "image", mcpToolCall: "mcp", dynamicToolCall: "tool", collabAgentToolCall: "agents",
};

function DurableMessage(props: { message: Message }) {
  const m = props.message;
  const { text } = useMessageText(m);
  const streaming = m.status === "streaming";
  if (m.kind === "reasoning" && !text && !streaming) return null; // a model's reasoning without a summary: nothing to show
  const body = m.kind === "reasoning" ? (
    <div className="text thinking" data-testid="reasoning"><span className="label">Thinking</span><span data-testid="reasoning-text">{text}</span>{streaming ? <span className="cursor">▍</span> : null}</div>
  ) : m.kind === "commandExecution" ? (
    <>
      <div className="command" data-testid="command"><span className="prompt">$</span> {m.summary}</div>
      {text ? <pre className="output" data-testid="command-output">{text}</pre> : null}
    </>
  ) : m.kind === "fileChange" ? (
    <>
      <div className="command" data-testid="file-change">✎ {m.summary}</div>
      <Diff text={text} />
    </>
  ) : m.role === "tool" ? (
    <>
      <div className="command" data-testid="tool" data-kind={m.kind}><span className="prompt">{TOOL_LABELS[m.kind] ?? "tool"}</span> {m.summary}</div>
      {text ? <pre className="output" data-testid="tool-output">{text}</pre> : null}
    </>
  ) : (
    <div className="text" data-testid="message-text">
      {m.summary ? <span className="label">{m.summary}</span> : m.kind === "plan" ? <span className="label" data-testid="plan-label">Proposed plan</span> : null}
      {text}{streaming ? <span className="cursor">▍</span> : null}
    </div>
  );
  return (
    <li className={`msg role-${m.role} kind-${m.kind} status-${m.status}`} data-testid="message" data-role={m.role} data-status={m.status} data-item-id={m.itemId}>
      {body}
      {m.status !== "completed" && m.status !== "streaming" ? <span className={`badge status-${m.status}`}>{m.status}</span> : null}
    </li>
  );
}

export function MessageRow(props: { message: ShownMessage }) {
  const m = props.message;
  if (m.optimistic) {
    return (
      <li className={`msg role-${m.role} pending`} data-testid="message" data-role={m.role} data-status="pending">
        <div className="text">{m.text || "…"}</div>
      </li>
    );
  }
  return <DurableMessage message={m} />;
}
