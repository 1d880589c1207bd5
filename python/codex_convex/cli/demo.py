"""``codex-convex demo``: the README's main job."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer

from ._output import console, emit_json, progress, table

if TYPE_CHECKING:
    from ..demo import DemoReport

# The commands the demo suggests next (tests/cli/test_demo.py runs each of them).
LOOK_FURTHER = [
    ("codex-convex backend start", "a local backend that keeps running"),
    ('codex-convex run --scripted "hello"', "one live turn"),
    ("codex-convex run --scripted --serve", "host a conversation: the page and codex-convex send write to it"),
    ("codex-convex approvals", "pending approvals (answer with codex-convex approve ID)"),
    ("codex-convex sync --all", "import your own CODEX_HOME threads"),
    ("codex-convex jobs", "sync jobs"),
    ("codex-convex ui", "the conversation page: live turns, approvals, jobs"),
    ("codex-convex backend stop", "stop the local backend"),
]


def demo(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Real Codex turns replicated live into Convex, an approval answered through Convex, a file change, and an
    older local thread imported through a sync source. Embedded defaults: no API key, no Convex account."""
    from ..demo import run_demo
    from ..host_api.models import SyncJob
    from ..sync.importer import UploadProgress

    def on_text(s: str) -> None:
        if not json_out:
            console.print(s, end="", markup=False, highlight=False)

    def on_event(s: str) -> None:
        if not json_out:
            console.print(f"[dim]{s}[/dim]")

    with progress(enabled=not json_out) as bar:
        tasks: dict[str, Any] = {}

        def on_progress(info: UploadProgress | SyncJob) -> None:
            if isinstance(info, UploadProgress):
                tasks.setdefault("up", bar.add_task("upload chunks", total=info.total))
                bar.update(tasks["up"], completed=info.done, total=info.total)
            else:
                tasks.setdefault("job", bar.add_task("ingest + verify", total=2 * max(1, info.total_records)))
                bar.update(tasks["job"], completed=info.processed_records + info.verified_records,
                           description=f"job {info.label}")

        report = anyio.run(lambda: run_demo(on_text, on_event, on_progress, None if json_out else _linger))
    if json_out:
        emit_json(report.__dict__)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty() and not os.environ.get("CI")


async def _linger(report: DemoReport) -> None:
    """The summary, printed while the deployment and the page still run; then, with a person at the terminal, the
    page stays up until Enter (in CI, or piped, the demo ends at once and opens nothing)."""
    console.print(table("Turns", ["prompt", "status"], [[t["prompt"], t["status"]] for t in report.turns]
                        + [["/review", report.review.get("status", "-")],
                           [f"{report.client_turn.get('prompt', '-')} (from a second client)",
                            report.client_turn.get("status", "-")]]))
    console.print(table("Approvals", ["request", "answered by"],
                        [[a["method"], a["answeredBy"]] for a in report.approvals]))
    console.print(table("In Convex now", ["conversation", "thread", "turns", "messages", "sync", "tokens"], [
        [c["conversationId"], c["threadId"], c["turns"], c["messages"], c["syncState"], c["tokens"] or "-"]
        for c in report.conversations]))
    r = report.import_result
    console.print(table("Imported (a sync source)", ["conversation", "state", "records", "chunks", "seconds"],
                        [[report.imported_conversation, r["state"], r["records"], r["chunks"], r["seconds"]]]))
    console.print("\nLook further (after source .venv/bin/activate):")
    for command, what in LOOK_FURTHER:
        console.print(f"  {command:<40} # {what}", markup=False)
    console.print(f"\nThe conversation page: {report.page_url}#/c/{report.live_conversation}", markup=False)
    if report.local_backend:
        console.print("(the demo's backend is temporary; point CONVEX_URL/CONVEX_TOKEN at a real deployment to keep "
                      "the data)")
    if _interactive():
        console.print("[bold]The page stays live until you press Enter.[/bold]")
        await anyio.to_thread.run_sync(sys.stdin.readline)
