"""A Codex thread (as ``thread/read`` returns it) → the records an import carries: the same ingest events live
replication sends, so imported and live conversations land in the same rows. Deterministic: the same thread
always gives the same records (timestamps come from Codex, never from the clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..replication.events import turn_error, with_view

# Item JSON is split into parts of at most this many UTF-8 bytes, so a part (≤ the component's 256 Ki characters)
# always fits a 512 KiB chunk with room to spare.
PART_MAX_BYTES = 256 * 1024

Record = dict[str, Any]


def split_utf8(text: str, max_bytes: int) -> list[str]:
    """Split ``text`` into pieces of at most ``max_bytes`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return [text]
    out: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + max_bytes, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # back off to a character boundary
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start = end
    return out


def _ms(seconds: Any) -> float:
    return float(seconds) * 1000.0 if isinstance(seconds, int | float) else 0.0


def item_records(thread_id: str, turn_id: str, item: dict[str, Any], at: float) -> list[Record]:
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    parts = split_utf8(data, PART_MAX_BYTES)
    records = [{"type": "item", "threadId": thread_id, "turnId": turn_id, "itemId": str(item.get("id", "")),
                "phase": "completed", "itemType": str(item.get("type", "unknown")), "part": i,
                "partCount": len(parts), "data": p, "at": at} for i, p in enumerate(parts)]
    return with_view(records, thread_id, turn_id, item, "completed", at)


def thread_records(thread: dict[str, Any]) -> Iterator[Record]:
    """Every record of a thread, in order: its metadata, then per turn: started, items, completed."""
    tid = thread["id"]
    meta: Record = {"type": "threadMeta", "threadId": tid, "at": _ms(thread.get("createdAt"))}
    for key in ("name", "preview", "cwd"):
        if isinstance(thread.get(key), str):
            meta[key] = thread[key]
    yield meta
    for turn in thread.get("turns") or []:
        started = _ms(turn.get("startedAt"))
        yield {"type": "turnStarted", "threadId": tid, "turnId": turn["id"], "at": started}
        for item in turn.get("items") or []:
            yield from item_records(tid, turn["id"], item, started)
        status = turn.get("status")
        if status in ("completed", "interrupted", "failed"):
            done: Record = {"type": "turnCompleted", "threadId": tid, "turnId": turn["id"], "status": status,
                            "at": _ms(turn.get("completedAt")) or started}
            err = turn_error(turn.get("error"))
            if err:
                done["error"] = err
            yield done
