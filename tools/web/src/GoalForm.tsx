import { useState, type FormEvent } from "react";
import type { InterruptRequest } from "../../../convex/react/index.js";
import { readable } from "./format.js";

// What became of the newest goal asked from here, when it did not become the thread's goal.
const NOT_SET: Record<string, string> = {
  failed: "The host could not set it (Codex refused it or went away: see the host's log).",
  stale: "Not set: no host had this conversation open when it was asked.",
  superseded: "Not set: a newer request came first.",
};

/** Give the thread a new goal from the page: the host driving the conversation sets it, active (it replaces the
 * thread's goal), and Codex works toward it on its own, turn after turn. */
export function GoalForm(props: {
  hostOnline: boolean; setting: boolean; control: InterruptRequest | null; replaces: boolean;
  setGoal: (objective: string) => Promise<InterruptRequest | null>;
}) {
  const [objective, setObjective] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (objective.trim() === "" || props.setting || !props.hostOnline) return;
    setError(null);
    props.setGoal(objective).then(() => setObjective(""), (err: unknown) => setError(readable(err)));
  };
  const last = props.control;
  const note = last !== null && last.action === "setGoal" && last.outcome !== null ? NOT_SET[last.outcome] ?? null : null;
  return (
    <form className="goal-form" data-testid="goal-form" onSubmit={submit}>
      <input data-testid="goal-objective" value={objective} disabled={!props.hostOnline}
        placeholder={!props.hostOnline ? "No host drives this conversation now" : props.replaces ? "A new goal for Codex (replaces the one above)" : "A goal for Codex to work toward on its own"}
        onChange={(e) => setObjective(e.target.value)} />
      <button type="submit" data-testid="goal-set" disabled={!props.hostOnline || props.setting || objective.trim() === ""}>
        {props.setting ? "Setting…" : props.replaces ? "Replace goal" : "Set goal"}
      </button>
      {note !== null ? <p className="error" role="status" data-testid="goal-note" data-outcome={last?.outcome}>{note}</p> : null}
      {error !== null ? <p className="error" role="alert" data-testid="goal-error">{error}</p> : null}
    </form>
  );
}
