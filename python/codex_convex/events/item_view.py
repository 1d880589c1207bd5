"""How a Codex item reads as a conversation message — the host's copy of ``convex/component/itemMessages.ts``, used
for items too large for the server to join (more than :data:`INLINE_VIEW_PARTS` parts): the last part carries the
view and the text follows as ``messageText`` events of at most :data:`SEGMENT_MAX_CHARS` characters, so no server
transaction grows with the item. ``tests/conformance/test_item_views.py`` checks both readings agree."""

from __future__ import annotations

from typing import Any

from ..host_api.limits import INLINE_VIEW_PARTS, SEGMENT_MAX_CHARS
from ..host_api.models import IngestEventMessageText, ItemPhase, ItemView
from .text import split_text

__all__ = ["INLINE_VIEW_PARTS", "REASONING_PART_SEPARATOR", "SEGMENT_MAX_CHARS", "message_view", "view_events"]

# Reasoning summary parts are shown one after another, a blank line between (as Codex streams them).
REASONING_PART_SEPARATOR = "\n\n"


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _status(item: dict[str, Any], phase: str) -> str:
    s = _str(item.get("status"))
    if s in ("declined", "failed", "interrupted"):
        return s
    return "completed" if phase == "completed" else "streaming"


def message_view(item: dict[str, Any], phase: str) -> dict[str, Any] | None:
    """``{role, status, text, summary?}``, or ``None`` for items not shown as messages (compaction…). Reasoning is an
    assistant message of kind ``reasoning`` whose text is its summary (empty when the model gave none)."""
    status = _status(item, phase)
    kind = item.get("type")
    if kind == "userMessage":
        raw_content = item.get("content")
        content = [p for p in raw_content if isinstance(p, dict)] if isinstance(raw_content, list) else []
        texts = [_str(p.get("text")) for p in content]
        return {"role": "user", "status": "completed", "text": "\n".join(t for t in texts if t)}
    if kind == "agentMessage":
        return {"role": "assistant", "status": status, "text": _str(item.get("text"))}
    if kind == "reasoning":
        raw_summary = item.get("summary")
        summary = raw_summary if isinstance(raw_summary, list) else []
        return {"role": "assistant", "status": status, "text": REASONING_PART_SEPARATOR.join(_str(p) for p in summary)}
    if kind == "commandExecution":
        return {"role": "tool", "status": status, "text": _str(item.get("aggregatedOutput")),
                "summary": _str(item.get("command"))}
    if kind == "fileChange":
        raw = item.get("changes")
        changes = [c for c in raw if isinstance(c, dict)] if isinstance(raw, list) else []
        return {"role": "tool", "status": status, "text": "\n".join(_str(c.get("diff")) for c in changes),
                "summary": ", ".join(_str(c.get("path")) for c in changes)}
    if kind == "mcpToolCall":
        return {"role": "tool", "status": status, "text": "",
                "summary": f"{_str(item.get('server'))}.{_str(item.get('tool'))}"}
    return None


def view_events(thread_id: str, turn_id: str, item: dict[str, Any], phase: ItemPhase,
                at: float) -> tuple[ItemView | None, list[IngestEventMessageText]]:
    """The ``view`` of a large item (for its last part) and the ``messageText`` events carrying its text."""
    view = message_view(item, phase)
    if view is None:
        return None, []
    text: str = view.pop("text")
    segments = split_text(text, SEGMENT_MAX_CHARS) if text else []
    status = item.get("status")
    out = ItemView(role=view["role"], status=view["status"], summary=view.get("summary"),
                   item_status=status if isinstance(status, str) else None, segment_count=len(segments),
                   text_bytes=len(text.encode("utf-8")))
    item_id = str(item.get("id", ""))
    return out, [IngestEventMessageText(thread_id=thread_id, turn_id=turn_id, item_id=item_id, segment=i, text=s,
                                        at=at) for i, s in enumerate(segments)]
