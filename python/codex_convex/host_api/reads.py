"""Whole reads on top of the byte-bounded endpoints: every list and turn read stays within a budget (a message's text
comes truncated after its first segment, a large item without its JSON), so reading something whole is paging."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ._generated.endpoints import HostApi
from ._generated.models import Item, Message, NotFound, Turn
from .wire import Number, Page

__all__ = ["TurnItem", "all_pages", "item_json", "message_text", "turn_items"]

T = TypeVar("T")


async def all_pages(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Every row of a paginated query, page after page (``fetch(cursor)`` gets one page)."""
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for row in page.page:
            yield row
        if page.is_done:
            return
        cursor = page.continue_cursor


async def message_text(api: HostApi, message: Message) -> str:
    """The whole text of a message from ``listMessages`` or a view (paging through ``getMessageText`` if needed)."""
    if not message.text_truncated:
        return message.text
    parts: list[str] = []
    at: Number | None = 0
    while at is not None:
        page = await api.get_message_text(thread_id=message.thread_id, turn_id=message.turn_id,
                                           item_id=message.item_id, from_segment=at)
        if isinstance(page, NotFound):
            break
        parts.append(page.text)
        at = page.next_segment
    return "".join(parts)


async def item_json(api: HostApi, thread_id: str, turn_id: str, item_id: str) -> str:
    """An item's whole Codex JSON text (paging through ``getItemJson``)."""
    parts: list[str] = []
    at: Number | None = 0
    while at is not None:
        page = await api.get_item_json(thread_id=thread_id, turn_id=turn_id, item_id=item_id, from_part=at)
        if isinstance(page, NotFound):
            break
        parts.append(page.data)
        at = page.next_part
    return "".join(parts)


@dataclass(frozen=True)
class TurnItem:
    """An item of a turn (``getTurn``) with its whole Codex JSON parsed (``None`` for an item never completed)."""

    row: Item
    item: dict[str, Any] | None


async def turn_items(api: HostApi, thread_id: str, turn_id: str) -> tuple[Turn | None, list[TurnItem]]:
    """A turn and all its items, each with its whole JSON parsed, or ``(None, [])`` if the turn is missing."""
    items: list[TurnItem] = []
    after: Number | None = None
    while True:
        got = await api.get_turn(thread_id=thread_id, turn_id=turn_id, after_ordinal=after)
        if isinstance(got, NotFound):
            return None, []
        for it in got.items:
            text = it.json_
            if text is None and it.complete:
                text = await item_json(api, thread_id, turn_id, it.item_id)
            items.append(TurnItem(it, json.loads(text) if text is not None else None))
        if not got.has_more or not got.items:
            return got.turn, items
        after = got.items[-1].ordinal
