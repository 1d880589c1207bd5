"""Codex notifications → component ingest events (the same shapes the sync job ingests).

Pure functions; the :class:`EventMapper` keeps the little state mapping needs (delta counters per item, which
turn a server request belongs to).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from .item_view import INLINE_VIEW_PARTS, view_events

# Characters per item part: the component refuses more (PART_MAX_CHARS in convex/component/text.ts).
PART_MAX_CHARS = 256 * 1024
# Characters per messageDelta event (a longer delta from Codex is split).
DELTA_MAX_CHARS = 64 * 1024

Event = dict[str, Any]


def now_ms() -> float:
    return time.time() * 1000.0


def split_text(text: str, max_chars: int) -> list[str]:
    """Split into pieces of at most ``max_chars`` UTF-16 code units, never inside a surrogate pair."""
    out: list[str] = []
    buf: list[str] = []
    units = 0
    for ch in text:
        w = 2 if ord(ch) > 0xFFFF else 1
        if units + w > max_chars:
            out.append("".join(buf))
            buf, units = [], 0
        buf.append(ch)
        units += w
    if buf or not out:
        out.append("".join(buf))
    return out


def item_events(thread_id: str, turn_id: str, item: dict[str, Any], phase: str, at: float) -> list[Event]:
    """One ``item`` event per part of the item's JSON (one part unless it is over :data:`PART_MAX_CHARS`); a large
    item also carries its message view and text (:func:`with_view`)."""
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    parts = split_text(data, PART_MAX_CHARS)
    events = [{"type": "item", "threadId": thread_id, "turnId": turn_id, "itemId": str(item.get("id", "")),
               "phase": phase, "itemType": str(item.get("type", "unknown")), "part": i, "partCount": len(parts),
               "data": p, "at": at} for i, p in enumerate(parts)]
    return with_view(events, thread_id, turn_id, item, phase, at)


def with_view(parts: list[Event], thread_id: str, turn_id: str, item: dict[str, Any], phase: str,
              at: float) -> list[Event]:
    """An item's part events, plus — when they are more than the server joins (:data:`INLINE_VIEW_PARTS`) — its
    message view on the last part and its text as ``messageText`` events."""
    if len(parts) <= INLINE_VIEW_PARTS:
        return parts
    view, texts = view_events(thread_id, turn_id, item, phase, at, split_text)
    return [*parts[:-1], {**parts[-1], "view": view}, *texts]


def turn_error(err: dict[str, Any] | None) -> dict[str, Any] | None:
    """Codex's TurnError, kept structured (message, codexErrorInfo, details), never ``"[object Object]"``."""
    if not err:
        return None
    info = err.get("codexErrorInfo")
    out: dict[str, Any] = {"message": str(err.get("message") or "unknown error")}
    if info is not None:
        out["codexErrorInfo"] = info if isinstance(info, str) else json.dumps(info, separators=(",", ":"))
    details = {k: v for k, v in err.items() if k not in ("message", "codexErrorInfo") and v is not None}
    if details:
        out["detailsJson"] = json.dumps(details, separators=(",", ":"))
    return out


@dataclass
class EventMapper:
    """Maps one app-server's notifications for one thread to ingest events."""

    thread_id: str
    deltas: dict[tuple[str, str], int] = field(default_factory=dict)  # (turnId, itemId) → deltas seen
    request_turns: dict[str, str] = field(default_factory=dict)  # requestId → turnId

    def map(self, method: str, params: dict[str, Any]) -> list[Event]:
        if params.get("threadId", self.thread_id) != self.thread_id:
            return []
        at = float(params.get("emittedAtMs") or now_ms())
        tid = self.thread_id
        if method == "thread/started":
            t = params.get("thread") or {}
            return [{"type": "threadMeta", "threadId": tid, "at": at,
                     **{k: t[k] for k in ("name", "preview", "cwd") if isinstance(t.get(k), str)}}]
        if method == "thread/name/updated" and isinstance(params.get("threadName"), str):
            return [{"type": "threadMeta", "threadId": tid, "name": params["threadName"], "at": at}]
        if method == "turn/started":
            return [{"type": "turnStarted", "threadId": tid, "turnId": params["turn"]["id"], "at": at}]
        if method == "turn/completed":
            turn = params["turn"]
            ev: Event = {"type": "turnCompleted", "threadId": tid, "turnId": turn["id"],
                         "status": turn.get("status", "completed"), "at": at}
            err = turn_error(turn.get("error"))
            if err:
                ev["error"] = err
            return [ev]
        if method in ("item/started", "item/completed"):
            phase = "started" if method == "item/started" else "completed"
            return item_events(tid, params["turnId"], params["item"], phase, at)
        if method == "item/agentMessage/delta":
            # A huge delta (a whole message at once) becomes pieces of DELTA_MAX_CHARS, each its own delta, so no
            # batch outgrows Convex's argument limit.
            key = (params["turnId"], params["itemId"])
            first = self.deltas.get(key, 0)
            pieces = split_text(params["delta"], DELTA_MAX_CHARS) if len(params["delta"]) > DELTA_MAX_CHARS \
                else [params["delta"]]
            self.deltas[key] = first + len(pieces)
            return [{"type": "messageDelta", "threadId": tid, "turnId": params["turnId"], "itemId": params["itemId"],
                     "firstDelta": first + i, "deltaCount": 1, "text": piece, "at": at}
                    for i, piece in enumerate(pieces)]
        if method == "thread/tokenUsage/updated":
            usage = params["tokenUsage"]
            total, last = usage["total"], usage["last"]
            ev = {"type": "tokenUsage", "threadId": tid, "turnId": params["turnId"],
                  "totalTokens": total["totalTokens"], "inputTokens": total["inputTokens"],
                  "cachedInputTokens": total["cachedInputTokens"], "outputTokens": total["outputTokens"],
                  "reasoningOutputTokens": total["reasoningOutputTokens"], "lastTotalTokens": last["totalTokens"],
                  "at": at}
            if usage.get("modelContextWindow") is not None:
                ev["contextWindow"] = usage["modelContextWindow"]
            return [ev]
        if method == "error":
            err = turn_error(params.get("error")) or {"message": "error"}
            ev = {"type": "lifecycle", "threadId": tid, "kind": "error", "message": err["message"], "at": at,
                  "detailsJson": json.dumps({**err, "willRetry": params.get("willRetry")}, separators=(",", ":"))}
            if params.get("turnId"):
                ev["turnId"] = params["turnId"]
            return [ev]
        if method == "serverRequest/resolved":
            rid = str(params.get("requestId"))
            turn_id = self.request_turns.get(rid)
            if turn_id is None:
                return []
            return [{"type": "serverRequestResolved", "threadId": tid, "turnId": turn_id, "requestId": rid, "at": at}]
        return []

    def server_request(self, request_id: str, method: str, params: dict[str, Any]) -> Event:
        turn_id = str(params.get("turnId", ""))
        self.request_turns[request_id] = turn_id
        ev: Event = {"type": "serverRequest", "threadId": self.thread_id, "turnId": turn_id, "requestId": request_id,
                     "method": method, "paramsJson": json.dumps(params, separators=(",", ":")), "at": now_ms()}
        if params.get("itemId"):
            ev["itemId"] = str(params["itemId"])
        return ev
