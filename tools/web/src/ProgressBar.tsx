export function ProgressBar(props: { fraction: number; label: string; state: string; testId?: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, props.fraction)) * 100);
  return (
    <div className={`progress state-${props.state}`} data-testid={props.testId} data-state={props.state}>
      <div className="bar" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <div className="fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="label" data-testid={props.testId ? `${props.testId}-label` : undefined}>{props.label}</span>
    </div>
  );
}
