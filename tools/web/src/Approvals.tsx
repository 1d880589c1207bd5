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

/** Pending approvals of the conversation and of its sub-agents: answering one here is what the host, waiting on
 * Convex, acts on. */
export function Approvals(props: { requests: ServerRequest[]; respond: (r: ServerRequest, d: Decision) => Promise<unknown>; conversationId: string }) {
  const [error, setError] = useState<string | null>(null);
  if (props.requests.length === 0) return null;
  const answer = (r: ServerRequest, d: Decision) => {
    setError(null);
    props.respond(r, d).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  return (
    <div className="approvals" data-testid="approvals">
      {props.requests.map((r) => {
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
