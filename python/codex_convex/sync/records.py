"""A Codex thread (as ``thread/read`` returns it) → the records an import carries: the same ingest events live
replication sends (built by ``events/``), so imported and live conversations land in the same rows. Deterministic:
the same thread always gives the same records (timestamps come from Codex, never from the clock)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..events import item_events, thread_meta, turn_completed, turn_started
from ..host_api.models import IngestEvent

__all__ = ["thread_records", "turn_records"]


def _ms(seconds: Any) -> float:
    return float(seconds) * 1000.0 if isinstance(seconds, int | float) else 0.0


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def thread_records(thread: dict[str, Any]) -> Iterator[IngestEvent]:
    """Every record of a thread (the raw ``thread/read`` JSON, items as Codex wrote them), in order: its
    metadata, then per turn: started, items, completed."""
    thread_id = thread["id"]
    yield thread_meta(thread_id, _ms(thread.get("createdAt")), name=_str(thread.get("name")),
                      preview=_str(thread.get("preview")), cwd=_str(thread.get("cwd")),
                      forked_from_id=_str(thread.get("forkedFromId")))
    for turn in thread.get("turns") or []:
        yield from turn_records(thread_id, turn)


def turn_records(thread_id: str, turn: dict[str, Any], *, exact: bool = False) -> Iterator[IngestEvent]:
    """One turn of ``thread/read``: started, its items, and (when it finished) its end; ``exact``: the end also
    removes any item of the turn Codex does not have (a host reconciling)."""
    started = _ms(turn.get("startedAt"))
    yield turn_started(thread_id, turn["id"], started)
    for item in turn.get("items") or []:
        yield from item_events(thread_id, turn["id"], item, "completed", started)
    status = turn.get("status")
    if status in ("completed", "interrupted", "failed"):
        ended = _ms(turn.get("completedAt")) or started
        keep = [str(i.get("id", "")) for i in turn.get("items") or []] if exact else None
        yield turn_completed(thread_id, turn["id"], status, turn.get("error"), ended, keep_items=keep)
