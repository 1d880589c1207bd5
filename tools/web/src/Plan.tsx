import type { Turn } from "../../../convex/react/index.js";

type TurnPlan = NonNullable<Turn["plan"]> & { turnId: string };

const MARKS = { completed: "✓", inProgress: "→", pending: "·" } as const;

/** The latest turn's plan as the model last set it: one row per step, marked by its status. */
export function Plan(props: { plan: TurnPlan | null }) {
  const { plan } = props;
  if (plan === null || plan.steps.length === 0) return null;
  return (
    <section className="plan" data-testid="plan" data-turn-id={plan.turnId}>
      <h3>Plan{plan.explanation ? <span className="plan-why">: {plan.explanation}</span> : null}</h3>
      <ol>
        {plan.steps.map((s, i) => (
          <li key={i} className={`step step-${s.status}`} data-status={s.status}>
            <span className="mark" aria-hidden="true">{MARKS[s.status]}</span> <span className="text">{s.step}</span>
          </li>
        ))}
      </ol>
      {plan.truncated ? <p className="hint">The model's plan was longer: its first steps are shown.</p> : null}
    </section>
  );
}
