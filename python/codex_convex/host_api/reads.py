"""Whole reads on top of the byte-bounded endpoints: every list and turn read stays within a budget (a message's text
comes truncated after its first segment, a large item without its JSON), so reading something whole is paging."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from ._generated.endpoints import HostApi

__all__ = ["item_json", "message_text", "turn_items"]


async def _concat(fetch: Callable[[int], Awaitable[dict[str, Any]]], text: str, next_key: str) -> str:
    """Concatenate ``page[text]`` of the pages ``fetch(0)``, ``fetch(page[next_key])``, … until that is null."""
    parts: list[str] = []
    at: int | None = 0
    while at is not None:
        page = await fetch(at)
        if not page["found"]:
            break
        parts.append(page[text])
        at = None if page[next_key] is None else int(page[next_key])
    return "".join(parts)


async def message_text(api: HostApi, message: dict[str, Any]) -> str:
    """The whole text of a message from ``listMessages`` or a view (paging through ``getMessageText`` if needed)."""
    if not message.get("textTruncated"):
        return str(message["text"])
    return await _concat(lambda segment: api.get_message_text(
        thread_id=message["threadId"], turn_id=message["turnId"], item_id=message["itemId"], from_segment=segment),
        "text", "nextSegment")


async def item_json(api: HostApi, thread_id: str, turn_id: str, item_id: str) -> str:
    """An item's whole Codex JSON text (paging through ``getItemJson``)."""
    return await _concat(lambda part: api.get_item_json(thread_id=thread_id, turn_id=turn_id, item_id=item_id,
                                                        from_part=part), "data", "nextPart")


async def turn_items(api: HostApi, thread_id: str, turn_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A turn and all its items, each with its whole JSON parsed (``item["item"]``), or ``(None, [])`` if missing."""
    items: list[dict[str, Any]] = []
    after: float | None = None
    while True:
        got = await api.get_turn(thread_id=thread_id, turn_id=turn_id, after_ordinal=after)
        if not got["found"]:
            return None, []
        for it in got["items"]:
            text = it["json"]
            if text is None and it["complete"]:
                text = await item_json(api, thread_id, turn_id, it["itemId"])
            items.append({**it, "item": json.loads(text) if text is not None else None})
        if not got["hasMore"] or not got["items"]:
            return got["turn"], items
        after = got["items"][-1]["ordinal"]
