"""How a Codex item reads as a conversation message — the host's copy of ``convex/component/itemMessages.ts``, used
for items too large for the server to join (more than :data:`INLINE_VIEW_PARTS` parts): the last part carries the
view and the text follows as ``messageText`` events of at most :data:`SEGMENT_MAX_CHARS` characters, so no server
transaction grows with the item. ``tests/conformance/test_item_views.py`` checks both readings agree."""

from __future__ import annotations

from typing import Any

from ..host_api.limits import INLINE_VIEW_PARTS, MESSAGE_SUMMARY_MAX_CHARS, SEGMENT_MAX_CHARS
from ..host_api.models import IngestEventMessageText, ItemPhase, ItemView
from .text import cut_units, split_text

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


def _web_search_summary(item: dict[str, Any]) -> str:
    """What a web search did, in one line (Codex's ``webSearch`` item: its action, else its query)."""
    action = item.get("action")
    action = action if isinstance(action, dict) else {}
    raw = action.get("queries")
    queries = [q for q in raw if isinstance(q, str) and q] if isinstance(raw, list) else []
    if action.get("type") == "openPage":
        return f"open {_str(action.get('url'))}"
    if action.get("type") == "findInPage":
        return f'find "{_str(action.get("pattern"))}" in {_str(action.get("url"))}'
    return f"search {_str(action.get('query')) or ' · '.join(queries) or _str(item.get('query'))}"


def _text_parts(parts: Any) -> str:
    """The text parts of a tool's result (MCP content blocks, dynamic tools' content items): images are not text."""
    items = parts if isinstance(parts, list) else []
    return "\n".join(p["text"] for p in items if isinstance(p, dict) and isinstance(p.get("text"), str))


def _user_text(content: Any) -> str:
    """A user message's content: its text, and a line for each image it carries."""
    parts = [p for p in content if isinstance(p, dict)] if isinstance(content, list) else []

    def line(p: dict[str, Any]) -> str:
        if p.get("type") == "localImage":
            return f"[image: {_str(p.get('path'))}]"
        return "[image]" if p.get("type") == "image" else _str(p.get("text"))

    return "\n".join(t for t in map(line, parts) if t)


def message_view(item: dict[str, Any], phase: str) -> dict[str, Any] | None:
    """``{role, status, text, summary?}``, or ``None`` for items not shown as messages (compaction…). Reasoning is an
    assistant message of kind ``reasoning`` whose text is its summary (empty when the model gave none). A tool the
    model used is a ``tool`` message: what it did in ``summary`` (cut to :data:`MESSAGE_SUMMARY_MAX_CHARS`), what came
    back as text when it is text."""
    view = _full_view(item, phase)
    if view is not None and "summary" in view:
        view["summary"] = cut_units(view["summary"], MESSAGE_SUMMARY_MAX_CHARS)
    return view


def _full_view(item: dict[str, Any], phase: str) -> dict[str, Any] | None:
    status = _status(item, phase)
    kind = item.get("type")
    if kind == "userMessage":
        return {"role": "user", "status": "completed", "text": _user_text(item.get("content"))}
    if kind in ("agentMessage", "plan"):
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
        error, result = item.get("error"), item.get("result")
        text = _str(error.get("message")) if isinstance(error, dict) else \
            _text_parts(result.get("content")) if isinstance(result, dict) else ""
        return {"role": "tool", "status": status, "text": text,
                "summary": f"{_str(item.get('server'))}.{_str(item.get('tool'))}"}
    if kind == "dynamicToolCall":
        return {"role": "tool", "status": status, "text": _text_parts(item.get("contentItems")),
                "summary": ".".join(s for s in (_str(item.get("namespace")), _str(item.get("tool"))) if s)}
    if kind == "collabAgentToolCall":
        return {"role": "tool", "status": status, "text": _str(item.get("prompt")),
                "summary": _str(item.get("tool"))}
    if kind == "webSearch":
        return {"role": "tool", "status": status, "text": "", "summary": _web_search_summary(item)}
    if kind == "imageView":
        return {"role": "tool", "status": status, "text": "", "summary": _str(item.get("path"))}
    if kind == "imageGeneration":
        return {"role": "tool", "status": status, "text": _str(item.get("revisedPrompt")),
                "summary": _str(item.get("savedPath")) or "image"}
    if kind == "enteredReviewMode":
        return {"role": "system", "status": status, "text": _str(item.get("review")), "summary": "review started"}
    if kind == "exitedReviewMode":
        # the review's text follows as an agentMessage of its own (Codex records it after this item, interrupted or not)
        return {"role": "system", "status": status, "text": "review ended", "summary": "review ended"}
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
