import { useDeletion, useDeletionJobs, useSyncJobs, deletionProgress, type DeletionJob } from "../../../convex/react/index.js";
import { ProgressBar } from "./ProgressBar.js";
import { conversationHref } from "./route.js";
import { ago } from "./format.js";

function target(j: DeletionJob): string {
  const t = j.target;
  return t.kind === "thread" ? `thread ${t.threadId}` : t.kind === "turn" ? `turn ${t.turnId} of ${t.threadId}` : "everything of yours";
}

/** One deletion job, live, with cancel / run now while it waits out its grace period. */
function DeletionRow(props: { job: DeletionJob }) {
  const d = useDeletion(props.job.jobId);
  const job = d.status === "ready" ? d.job : props.job;
  const progress = deletionProgress(job);
  return (
    <li className="job" data-testid="deletion-job" data-job-id={job.jobId} data-phase={job.phase}>
      <div className="job-head"><strong>Delete {target(job)}</strong><span className="meta">{ago(job.createdAt)}</span></div>
      <ProgressBar fraction={progress.done ? 1 : job.phase === "scheduled" ? 0 : 0.5} label={progress.label} state={job.phase} />
      {job.phase === "scheduled" ? (
        <div className="job-actions">
          <button onClick={() => void d.cancel()}>Cancel</button>
          <button onClick={() => void d.forceRun()}>Run now</button>
        </div>
      ) : null}
      {job.error ? <p className="error">{job.error.code}: {job.error.message}</p> : null}
    </li>
  );
}

export function Jobs() {
  const sync = useSyncJobs({ pageSize: 10 });
  const deletions = useDeletionJobs({ pageSize: 10 });
  return (
    <div className="jobs">
      <h2>Sync jobs</h2>
      {sync.results.length === 0 && sync.status !== "LoadingFirstPage" ? <p className="hint">No imports yet: <code>codex-convex sync</code>.</p> : null}
      <ul data-testid="sync-jobs">
        {sync.results.map((j) => (
          <li className="job" key={j.jobId} data-testid="sync-job" data-job-id={j.jobId} data-state={j.publicState}>
            <div className="job-head">
              <a href={conversationHref(j.conversationId)}>Import of a local thread: {j.totalRecords.toLocaleString()} records, {j.totalChunks} chunk{j.totalChunks === 1 ? "" : "s"}</a>
              <span className="meta">{ago(j.createdAt)}</span>
            </div>
            <ProgressBar testId="sync-progress" fraction={j.totalRecords ? j.processedRecords / j.totalRecords : j.publicState === "synced" ? 1 : 0} label={j.label} state={j.publicState} />
            {j.lastError ? <p className="error">{j.lastError.code}: {j.lastError.message}</p> : null}
          </li>
        ))}
      </ul>
      {sync.status === "CanLoadMore" ? <button className="more" onClick={() => sync.loadMore(10)}>More</button> : null}
      <h2>Deletions</h2>
      {deletions.results.length === 0 && deletions.status !== "LoadingFirstPage" ? <p className="hint">No deletions.</p> : null}
      <ul data-testid="deletion-jobs">{deletions.results.map((j) => <DeletionRow key={j.jobId} job={j} />)}</ul>
      {deletions.status === "CanLoadMore" ? <button className="more" onClick={() => deletions.loadMore(10)}>More</button> : null}
    </div>
  );
}
