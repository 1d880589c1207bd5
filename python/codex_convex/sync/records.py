"""A Codex thread (as ``thread/read`` returns it) → the records an import carries: the same ingest events live
replication sends (built by ``events/``), so imported and live conversations land in the same rows. Deterministic:
the same thread always gives the same records (timestamps come from Codex, never from the clock).

Everything Codex returns is kept: the thread's own JSON (``threadJson``), each turn's own JSON (on its start and
end) and every item as Codex wrote it, so ``host_api.reads.read_codex_thread`` rebuilds ``thread/read`` exactly.
Each finished turn carries its digest; the digests chain (:func:`chain`) into the prefix hash the server keeps,
which is how a later sync knows which turns it may skip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from ..events import item_events, thread_json, thread_meta, turn_completed, turn_digest, turn_json, turn_started
from ..host_api.models import IngestEvent, IngestEventThreadGoal

__all__ = ["TERMINAL", "chain", "digests", "header_records", "ms", "thread_records", "turn_records"]

TERMINAL = frozenset({"completed", "interrupted", "failed"})


def ms(seconds: Any) -> float:
    """Codex's Unix seconds (or anything else: 0) as milliseconds."""
    return float(seconds) * 1000.0 if isinstance(seconds, int | float) else 0.0


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def digests(turns: list[dict[str, Any]]) -> list[str | None]:
    """Each turn's digest (``events.turn_digest``), None for a turn not finished: computed once per sync, then
    given to :func:`chain` and :func:`thread_records` (hashing a large thread's canonical JSON is not free)."""
    return [turn_digest(t) if t.get("status") in TERMINAL else None for t in turns]


def chain(turns: list[dict[str, Any]], turn_digests: list[str | None] | None = None) -> list[str]:
    """The chain over the thread's leading finished turns: ``out[k]`` is the prefix hash after ``k`` turns
    (``out[0] = ""``; ``out[k+1] = sha256(out[k] + digest(turn k))``), as the server computes it."""
    out = [""]
    for d in digests(turns) if turn_digests is None else turn_digests:
        if d is None:
            break
        out.append(hashlib.sha256((out[-1] + d).encode("ascii")).hexdigest())
    return out


def header_records(thread: dict[str, Any], goal: IngestEventThreadGoal | None = None) -> list[IngestEvent]:
    """The thread's metadata, its own JSON and (``goal``, from ``thread/goal/get``: ``events.goal_event``) its goal:
    sent with every sync (they change as the thread does)."""
    thread_id = thread["id"]
    at = ms(thread.get("createdAt"))
    return [thread_meta(thread_id, at, name=_str(thread.get("name")), preview=_str(thread.get("preview")),
                        cwd=_str(thread.get("cwd")), forked_from_id=_str(thread.get("forkedFromId")),
                        parent_thread_id=_str(thread.get("parentThreadId"))),
            *thread_json(thread, at), *([goal] if goal is not None else [])]


def thread_records(thread: dict[str, Any], *, from_turn: int = 0, turn_digests: list[str | None] | None = None,
                   goal: IngestEventThreadGoal | None = None) -> Iterator[IngestEvent]:
    """Every record of a thread (the raw ``thread/read`` JSON, items as Codex wrote them), in order: its header
    (with ``goal`` when given), then per turn from ``from_turn``: started, items, completed (with its digest: from
    ``turn_digests`` when given, else computed)."""
    yield from header_records(thread, goal)
    turns = thread.get("turns") or []
    ds = digests(turns[from_turn:]) if turn_digests is None else turn_digests[from_turn:]
    for turn, d in zip(turns[from_turn:], ds, strict=True):
        yield from turn_records(thread["id"], turn, digest=d)


def turn_records(thread_id: str, turn: dict[str, Any], *, exact: bool = False,
                 digest: str | None = None) -> Iterator[IngestEvent]:
    """One turn of ``thread/read``: started, its items, and (when it finished) its end; ``exact``: the end also
    removes any item of the turn Codex does not have (a host reconciling); ``digest``: the turn's digest, carried
    by its end (an import, whose turns are exactly Codex's)."""
    started = ms(turn.get("startedAt"))
    own = turn_json(turn)
    yield turn_started(thread_id, turn["id"], started, json_text=own)
    for item in turn.get("items") or []:
        yield from item_events(thread_id, turn["id"], item, "completed", started)
    status = turn.get("status")
    if status in TERMINAL:
        ended = ms(turn.get("completedAt")) or started
        keep = [str(i.get("id", "")) for i in turn.get("items") or []] if exact else None
        yield turn_completed(thread_id, turn["id"], status, turn.get("error"), ended, keep_items=keep,
                             json_text=own, digest=digest)
