"""The one place that prints: a rich console on stderr for people, one JSON document on stdout for machines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import sys
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn
from rich.table import Table

if TYPE_CHECKING:
    from ..host_api.models import HostPresence

console = Console(stderr=True, highlight=False, soft_wrap=True)  # commands it prints stay on one line


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1  # the thing checked or run failed (drift, a failed job, a failed doctor check)
    USAGE = 2  # bad arguments
    UNAVAILABLE = 3  # a needed service or tool is missing (node, Codex, the deployment)


def _plain(v: Any) -> Any:
    """Models as their wire JSON (camelCase, as the contract documents them); dataclasses as dicts."""
    if isinstance(v, BaseModel):
        return v.model_dump(by_alias=True, mode="json")
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: _plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
    return str(v)


def host_label(host: HostPresence | None) -> str:
    """How a conversation's host reads in a table: online, offline since when, or none."""
    if host is None:
        return "none"
    if host.online:
        return f"online ({host.label})"
    seen = dt.datetime.fromtimestamp(host.last_seen_at / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"offline since {seen} ({host.label})"


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True, default=_plain) + "\n")
    sys.stdout.flush()


def success(msg: str) -> None:
    console.print(f"[green]✓[/green] {msg}")


def failure(msg: str) -> None:
    console.print(f"[red]✗[/red] {msg}")


def info(msg: str) -> None:
    console.print(msg)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A table whose first column (the ids a user copies into the next command) is never wrapped or cut."""
    t = Table(title=title)
    for i, c in enumerate(columns):
        t.add_column(c, no_wrap=i == 0, min_width=max((len(str(r[0])) for r in rows), default=0) if i == 0 else None)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    return t


def progress(*, enabled: bool) -> Progress:
    """A transient progress display; disabled (prints nothing) when not a TTY or with ``--json``."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    console=console, transient=True, disable=not enabled or not console.is_terminal)
