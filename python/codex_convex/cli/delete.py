"""``codex-convex delete`` and ``codex-convex purge``: deletion jobs with a progress bar driven by a subscription
to the job's status; ``--dry-run`` prints what would be deleted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import anyio
import typer

from ._output import ExitCode, console, emit_json, failure, progress, table

GraceOpt = Annotated[float, typer.Option("--grace", help="Seconds before it runs (cancel meanwhile).")]
JsonOpt = Annotated[bool, typer.Option("--json")]


def delete(
    thread_id: Annotated[str, typer.Argument(help="The Codex thread to delete (with its conversation).")],
    turn: Annotated[str | None, typer.Option("--turn", help="Delete only this turn.")] = None,
    grace: GraceOpt = 0.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only print what would be deleted.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Delete a thread (or one turn) and everything stored for it."""
    anyio.run(_delete, {"threadId": thread_id, **({"turnId": turn} if turn else {})}, grace, dry_run, json_out)


def purge(
    yes: Annotated[bool, typer.Option("--yes", help="Really delete everything you own.")] = False,
    grace: GraceOpt = 0.0,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Delete everything the current user owns."""
    if not (yes or dry_run):
        failure("purge deletes everything you own: pass --yes (or --dry-run to look first)")
        raise typer.Exit(ExitCode.USAGE)
    anyio.run(_delete, {}, grace, dry_run, json_out)


async def _delete(target: dict[str, str], grace: float, dry_run: bool, json_out: bool) -> None:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..host_api import HostApi
    from ..runtime import watch_deletion

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as subscriber:
        api = HostApi(http)
        if dry_run:
            preview = await api.preview_deletion(thread_id=target.get("threadId"), turn_id=target.get("turnId"))
            if json_out:
                emit_json(preview)
            else:
                console.print(table("Would delete", ["table", "rows"], _rows(preview.counts)))
                _say_sub_agents(preview.counts, "would be deleted, each by a deletion job of its own")
                if preview.truncated:
                    console.print("(counts capped at 1,000 per table)")
            return
        delay = {"delay_ms": grace * 1000} if grace else {}
        if "turnId" in target:
            call = api.schedule_delete_turn if grace else api.delete_turn
            job = await call(thread_id=target["threadId"], turn_id=target["turnId"], **delay)
        elif "threadId" in target:
            job = await (api.schedule_delete_thread if grace else api.delete_thread)(
                thread_id=target["threadId"], **delay)
        else:
            job = await (api.schedule_purge_actor_data if grace else api.purge_actor_data)(**delay)
        final = job
        with progress(enabled=not json_out) as bar:
            task = bar.add_task(f"deletion {job.phase}", total=None)
            async for status in watch_deletion(subscriber, job.job_id):
                final = status
                bar.update(task, completed=status.deleted, description=f"deletion {status.phase}: "
                           f"{int(status.deleted)} rows")
                if grace and status.phase == "scheduled":
                    break
    if json_out:
        emit_json(final)
        return
    console.print(table(f"Deletion {final.job_id}: {final.phase}", ["table", "rows deleted"], _rows(final.counts)))
    _say_sub_agents(final.counts, "are being deleted by deletion jobs of their own (see listDeletionJobs)")
    if final.phase == "scheduled":
        console.print(f"runs in {grace:g} s; cancel with the cancelDeletion endpoint (job {final.job_id})")
    if final.phase == "failed":
        raise typer.Exit(ExitCode.FAILED)


# A thread deletion's counts name its sub-agents' conversations under this key (convex/component/deletionPlan.ts
# SUB_AGENTS): conversations whose own deletion it started, not rows of a table.
_SUB_AGENTS = "sub_agents"


def _rows(counts: Mapping[str, float]) -> list[list[object]]:
    return [[k, int(n)] for k, n in sorted(counts.items()) if k != _SUB_AGENTS]


def _say_sub_agents(counts: Mapping[str, float], what: str) -> None:
    if n := int(counts.get(_SUB_AGENTS, 0)):
        console.print(f"and its {n} sub-agent conversation{'s' if n != 1 else ''} (with everything in them) {what}")
