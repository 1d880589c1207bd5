"""``codex-convex sync`` (import local threads) and ``codex-convex jobs`` (list sync jobs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from ._output import ExitCode, console, emit_json, host_label, progress, table


def sync(
    thread_ids: Annotated[list[str] | None, typer.Argument(help="Thread ids to import.")] = None,
    all_threads: Annotated[bool, typer.Option("--all", help="Import every thread of CODEX_HOME, archived ones "
                                              "included (they stay archived in Convex).")] = False,
    from_json: Annotated[Path | None, typer.Option("--from-json", help="Import a `thread/read` result saved as JSON "
                                                   "(no Codex needed).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Then keep syncing: each thread whose rollout file "
                                        "changes in CODEX_HOME is synced again (only what changed), until "
                                        "interrupted.")] = False,
    throttle_ms: Annotated[int, typer.Option(help="Pause after each chunk upload (be gentle to a deployment).")] = 0,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Sync local Codex threads into Convex: only what changed since the last sync (new / up to date / appended N /
    replaced); resumable: rerun the same command after any interruption."""
    from ..sync import ImportResult

    if not thread_ids and not all_threads and from_json is None and not watch:
        raise typer.BadParameter("give thread ids, --all, --from-json or --watch")
    if watch and from_json is not None:
        raise typer.BadParameter("--watch follows CODEX_HOME: it does not go with --from-json")
    if watch:
        anyio.run(_watch, thread_ids or [], all_threads, throttle_ms, json_out)
        return
    results: list[ImportResult] = anyio.run(_sync, thread_ids or [], all_threads, from_json, throttle_ms, json_out)
    if json_out:
        emit_json([r.__dict__ for r in results])
    else:
        console.print(table("Synced threads", ["thread", "conversation", "state", "change", "records", "chunks",
                                               "sent", "seconds"], [_row(r) for r in results]))
    if not results and not json_out:
        console.print("no threads found in CODEX_HOME: nothing to import")
    if any(r.state != "synced" for r in results):
        raise typer.Exit(ExitCode.FAILED)


def change(r: Any) -> str:
    """What a sync did to the thread: new / up to date / appended N (turns) / replaced from turn K."""
    if r.kind == "up_to_date":
        return "up to date"
    if r.kind == "appended":
        return f"appended {r.turns_sent}"
    if r.kind == "replaced":
        return f"replaced from turn {r.from_turn}"
    return "new"


def _row(r: Any) -> list[Any]:
    return [r.thread_id, r.conversation_id, r.state, change(r), r.records, r.chunks, r.uploaded_chunks,
            f"{r.seconds:.2f}"]


async def _sync(thread_ids: list[str], all_threads: bool, from_json: Path | None, throttle_ms: int,
                json_out: bool) -> list[Any]:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..errors import JsonRpcError
    from ..host_api import HostApi

    dep = resolve_deployment()
    results = []
    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as subscriber:
        api = HostApi(http)
        if from_json is not None:
            doc = json.loads(await anyio.Path(from_json).read_text())
            thread = doc.get("thread", doc)

            async def read_file(method: str, params: dict[str, Any]) -> Any:
                if method != "thread/read":  # the file holds the thread, nothing else (its goal is left as it is)
                    raise JsonRpcError(-32601, f"{method}: a saved thread/read answers thread/read only")
                return {"thread": thread}

            results.append(await _one(read_file, api, subscriber, thread["id"], throttle_ms, json_out))
            return results
        async with _local_host() as host:
            ids = list(thread_ids)
            archived: set[str] = set()
            if all_threads:
                archived = set(await host.thread_ids(archived=True))
                ids += [t for t in await host.thread_ids() + sorted(archived) if t not in ids]
            for thread_id in ids:
                result = await _one(host.request, api, subscriber, thread_id, throttle_ms, json_out)
                if thread_id in archived and result.state == "synced":
                    await api.archive_conversation(conversation_id=result.conversation_id)  # archived there too
                results.append(result)
    return results


def _local_host() -> Any:
    from ..deployment import codex_home
    from ..runtime import CodexHost, HostConfig, HostMode

    return CodexHost(HostConfig(codex_home=codex_home(), cwd=Path.cwd(), mode=HostMode.CODEX_ONLY))


def thread_of_rollout(path: str) -> str | None:
    """The thread id in a rollout file's name (``rollout-<time>-<thread id>.jsonl``), or None."""
    name = Path(path).name
    if not (name.startswith("rollout-") and name.endswith(".jsonl")) or len(name) < 36 + 6:
        return None
    return name[-(36 + 6):-6]


async def _watch(thread_ids: list[str], all_threads: bool, throttle_ms: int, json_out: bool) -> None:
    """Sync the given threads (or all of them) once, then each thread again whenever its rollout file changes
    (file-system notifications, debounced; no polling), printing one line (or JSON line) per sync."""
    from watchfiles import awatch

    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import codex_home, resolve_deployment
    from ..host_api import HostApi

    dep = resolve_deployment()
    wanted = set(thread_ids)
    sessions = codex_home() / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)

    def report(r: Any) -> None:
        if json_out:
            print(json.dumps({**r.__dict__, "error": r.error.model_dump(by_alias=True) if r.error else None}),
                  flush=True)
        else:
            console.print(f"{r.thread_id} {r.state} {change(r)} ({r.records} records, {r.seconds:.2f} s)")

    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as subscriber, \
            _local_host() as host:
        api = HostApi(http)
        first = list(wanted) if not all_threads else list(dict.fromkeys([*wanted, *await host.thread_ids()]))
        for thread_id in first:
            report(await import_quietly(host, api, subscriber, thread_id, throttle_ms))
        if not json_out:
            console.print(f"watching {sessions} (Ctrl-C to stop)")
        async for changes in awatch(sessions, debounce=800, step=100, recursive=True):
            changed = {t for _, path in changes if (t := thread_of_rollout(path)) is not None}
            for thread_id in sorted(changed):
                if wanted and not all_threads and thread_id not in wanted:
                    continue
                report(await import_quietly(host, api, subscriber, thread_id, throttle_ms))


async def import_quietly(host: Any, api: Any, subscriber: Any, thread_id: str, throttle_ms: int) -> Any:
    """One sync while watching: a refused one is reported as a failed result (the watch goes on)."""
    from ..errors import CodexConvexError
    from ..host_api.models import CodedError
    from ..sync import ImportResult, import_thread

    try:
        return await import_thread(host.request, api, subscriber, thread_id, throttle_s=throttle_ms / 1000)
    except CodexConvexError as exc:
        return ImportResult(thread_id, "", None, "failed", 0, 0, 0, 0, False, 0.0, 0,
                            CodedError(code=exc.code, message=str(exc)))


async def _one(request: Any, api: Any, subscriber: Any, thread_id: str, throttle_ms: int, json_out: bool) -> Any:
    from ..host_api.models import SyncJob
    from ..sync import import_thread
    from ..sync.importer import UploadProgress

    with progress(enabled=not json_out) as bar:
        up = bar.add_task(f"{thread_id[:13]} upload", total=None)
        ver = bar.add_task(f"{thread_id[:13]} ingest+verify", total=None)

        def on_progress(info: UploadProgress | SyncJob) -> None:
            if isinstance(info, UploadProgress):
                bar.update(up, completed=info.done, total=info.total)
            else:
                bar.update(ver, completed=info.processed_records + info.verified_records,
                           total=2 * max(1, info.total_records), description=f"{thread_id[:13]} {info.label}")

        return await import_thread(request, api, subscriber, thread_id, on_progress=on_progress,
                                   throttle_s=throttle_ms / 1000)


def jobs(
    conversation: Annotated[str | None, typer.Option(help="Only this conversation's jobs.")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Follow the latest job live (subscription).")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List sync jobs, newest first (or follow one live with --watch)."""
    anyio.run(_jobs, conversation, watch, json_out)


async def _jobs(conversation: str | None, watch: bool, json_out: bool) -> None:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..host_api import HostApi, HostSubscriptions
    from ..host_api.models import NotFound, PaginationOpts

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as sub:
        page = await HostApi(http).list_conversation_sync_jobs(
            conversation_id=conversation, pagination_opts=PaginationOpts(num_items=50, cursor=None))
        jobs = page.page
        hosts = {cid: _host_label(await HostApi(http).get_conversation_summary(conversation_id=cid))
                 for cid in {j.conversation_id for j in jobs}}
        if watch and jobs:
            async for got in HostSubscriptions(sub).get_conversation_sync_job(job_id=jobs[0].job_id):
                if isinstance(got, NotFound):
                    return
                job = got.job
                if json_out:
                    emit_json(job)
                else:
                    console.print(f"{job.job_id} {job.state} {job.label}")
                if job.public_state != "syncing":
                    return
            return
    if json_out:
        emit_json([{**j.model_dump(by_alias=True, mode="json"), "host": hosts[j.conversation_id]} for j in jobs])
        return
    console.print(table("Sync jobs", ["job", "conversation", "host", "state", "progress", "attempts", "error"], [
        [j.job_id, j.conversation_id, hosts[j.conversation_id], j.public_state, j.label, j.attempts,
         j.last_error.code if j.last_error else ""] for j in jobs]))


def _host_label(summary: object) -> str:
    from ..host_api.models import GetConversationSummaryFound

    return host_label(summary.host if isinstance(summary, GetConversationSummaryFound) else None)
