import { useState, type FormEvent, type KeyboardEvent } from "react";
import type { ClientMessage } from "../../../convex/react/index.js";
import { readable } from "./format.js";

// What the host did with the last message sent from here (the turn itself shows in the messages).
const TAKEN: Record<string, string> = {
  started: "", steered: "", stale: "Not run: no host had this conversation open when it was sent.",
  failed: "The host could not give it to Codex",
  unconfirmed: "Its host took it and was gone before saying what it did: it may have run (see the messages).",
};

/** Write to Codex from the page: the host driving the conversation starts a turn with the message (Codex idle) or
 * steers the running turn with it. Enter sends, Shift+Enter starts a new line. */
export function Composer(props: {
  conversationId: string; hostOnline: boolean; canSend: boolean; queued: ClientMessage[]; lastSent: ClientMessage | null;
  send: (text: string, opts: { plan?: boolean }) => Promise<ClientMessage | null>;
}) {
  const [text, setText] = useState("");
  const [plan, setPlan] = useState(false); // Codex's plan mode for the turn it starts
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const blocked = !props.hostOnline ? `No host drives this conversation now: run codex-convex run --serve --conversation ${props.conversationId}`
    : !props.canSend ? "An import of this conversation is syncing: wait for it to finish" : null;
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (text.trim() === "" || sending || blocked !== null) return;
    setSending(true);
    setError(null);
    props.send(text, { plan }).then(() => setText(""), (err: unknown) => setError(readable(err))).finally(() => setSending(false));
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey) submit(e);
  };
  const last = props.lastSent;
  const note = last !== null && (last.state === "stale" || last.state === "failed" || last.state === "unconfirmed") ? `${TAKEN[last.state]}${last.error ? `: ${last.error}` : ""}` : null;
  return (
    <form className="composer" data-testid="composer" onSubmit={submit}>
      {props.queued.map((m) => (
        <p className="queued" key={m.messageId} data-testid="queued">{m.text} <span className="hint">· {props.hostOnline ? "sent, waiting for the host" : "not taken: the host went away before it did"}</span></p>
      ))}
      <div className="composer-row">
        <textarea data-testid="composer-text" rows={2} value={text} placeholder={blocked ?? "Message Codex (Enter sends; while it works, this steers the running turn)"}
          disabled={blocked !== null} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} />
        <label className="plan-toggle" title="Codex's plan mode: it explores without changing anything and proposes a plan (a turn it starts; a steer stays in the running turn's mode)">
          <input type="checkbox" data-testid="composer-plan" checked={plan} disabled={blocked !== null} onChange={(e) => setPlan(e.target.checked)} /> Plan
        </label>
        <button type="submit" className="send" data-testid="composer-send" disabled={blocked !== null || sending || text.trim() === ""}>
          {sending ? "Sending…" : "Send"}
        </button>
      </div>
      {note !== null ? <p className="error" role="status" data-testid="composer-note" data-state={last?.state}>{note}</p> : null}
      {error !== null ? <p className="error" role="alert" data-testid="composer-error">{error}</p> : null}
    </form>
  );
}
