import { useState } from "react";
import type { Decision, ServerRequest } from "../../../convex/react/index.js";
import { parseJson } from "./format.js";

function describe(r: ServerRequest): { what: string; detail: string | null } {
  const p = parseJson(r.paramsJson);
  const str = (v: unknown) => (typeof v === "string" ? v : Array.isArray(v) ? v.join(" ") : null);
  if (r.method === "item/commandExecution/requestApproval") return { what: "Run a command", detail: str(p.command) ?? str(p.reason) };
  if (r.method === "item/fileChange/requestApproval") return { what: "Change files", detail: str(p.reason) ?? str(p.grantRoot) };
  return { what: r.method, detail: str(p.reason) };
}

type Question = { id: string; header?: string; question: string; options?: { label: string; description?: string }[] | null; isOther?: boolean; isSecret?: boolean };
const QUESTION = "item/tool/requestUserInput"; // plan mode's model asking the user (Codex's request_user_input)

/** Codex's questions (each with its options, or free text where it allows another answer), answered together. */
function Questions(props: { request: ServerRequest; fromAgent: boolean; answer: (response: Record<string, unknown>) => void }) {
  const questions = (parseJson(props.request.paramsJson).questions ?? []) as Question[];
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const ready = questions.length > 0 && questions.every((q) => (chosen[q.id] ?? "").trim() !== "");
  const pick = (id: string, value: string) => setChosen((c) => ({ ...c, [id]: value }));
  return (
    <div className="approval question" data-testid="question" data-request-id={props.request.requestId}>
      {questions.map((q) => (
        <div className="approval-what" key={q.id}>
          <strong>{q.header || "Codex asks"}</strong>
          {props.fromAgent ? <a className="from-agent" href={`#/c/${props.request.conversationId}`} data-testid="from-agent">a sub-agent asks</a> : null}
          <span data-testid="question-text">{q.question}</span>
          <div className="approval-actions">
            {(q.options ?? []).map((o) => (
              <button key={o.label} className={chosen[q.id] === o.label ? "accept" : ""} title={o.description} data-testid="question-option" onClick={() => pick(q.id, o.label)}>{o.label}</button>
            ))}
            {q.isOther || !q.options?.length ? (
              <input type={q.isSecret ? "password" : "text"} placeholder="Your answer" data-testid="question-input" value={(q.options ?? []).some((o) => o.label === chosen[q.id]) ? "" : (chosen[q.id] ?? "")} onChange={(e) => pick(q.id, e.target.value)} />
            ) : null}
          </div>
        </div>
      ))}
      <div className="approval-actions">
        <button className="accept" disabled={!ready} data-testid="question-send" onClick={() => props.answer({ answers: Object.fromEntries(questions.map((q) => [q.id, { answers: [chosen[q.id].trim()] }])) })}>Answer</button>
      </div>
    </div>
  );
}

/** Pending approvals and questions of the conversation and of its sub-agents: answering one here is what the host,
 * waiting on Convex, acts on. */
export function Approvals(props: {
  requests: ServerRequest[]; respond: (r: ServerRequest, d: Decision) => Promise<unknown>;
  answer: (r: ServerRequest, response: Record<string, unknown>) => Promise<unknown>; conversationId: string;
}) {
  const [error, setError] = useState<string | null>(null);
  if (props.requests.length === 0) return null;
  const shown = (p: Promise<unknown>) => {
    setError(null);
    p.catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  const answer = (r: ServerRequest, d: Decision) => shown(props.respond(r, d));
  return (
    <div className="approvals" data-testid="approvals">
      {props.requests.map((r) => {
        if (r.method === QUESTION) {
          return <Questions key={`${r.turnId}/${r.requestId}`} request={r} fromAgent={r.conversationId !== props.conversationId} answer={(response) => shown(props.answer(r, response))} />;
        }
        const { what, detail } = describe(r);
        return (
          <div className="approval" key={`${r.turnId}/${r.requestId}`} data-testid="approval" data-request-id={r.requestId}>
            <div className="approval-what">
              <strong>{what}</strong>
              {r.conversationId !== props.conversationId ? <a className="from-agent" href={`#/c/${r.conversationId}`} data-testid="from-agent">a sub-agent asks</a> : null}
              {detail ? <code>{detail}</code> : null}
              {r.paramsClipped ? <span className="hint" data-testid="clipped">shown cut (too long to keep here): the whole of it is in the conversation's item below</span> : null}
            </div>
            <div className="approval-actions">
              <button className="accept" onClick={() => answer(r, "accept")}>Accept</button>
              <button className="decline" onClick={() => answer(r, "decline")}>Decline</button>
            </div>
          </div>
        );
      })}
      {error ? <p className="error" role="alert">{error}</p> : null}
    </div>
  );
}
