"""Whole reads on top of the byte-bounded endpoints: every list and turn read stays within a budget (a message's text
comes truncated after its first segment, a large item without its JSON), so reading something whole is paging."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ._generated.endpoints import HostApi
from ._generated.models import Item, Message, NotFound, PaginationOpts, Turn
from .wire import Number, Page

__all__ = ["TurnItem", "all_pages", "item_json", "message_text", "read_codex_thread", "thread_json_text",
           "turn_items"]

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
    """The whole text of a message from ``listMessages`` or a view (paging through ``getMessageText`` if needed: a
    streaming message is listed without its text)."""
    if not message.text_truncated and message.status != "streaming":
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


async def _joined_parts(fetch: Callable[[Number], Awaitable[Any]], *, whole: bool = False) -> str | None:
    """Page through a parts endpoint (``getItemJson``, ``getThreadJson``: ``data`` and ``nextPart``) and join the
    pages; None when missing (and, with ``whole``, when not every part arrived)."""
    parts: list[str] = []
    at: Number | None = 0
    while at is not None:
        page = await fetch(at)
        if isinstance(page, NotFound) or (whole and not page.complete):
            return None if whole else "".join(parts)
        parts.append(page.data)
        at = page.next_part
    return "".join(parts)


async def item_json(api: HostApi, thread_id: str, turn_id: str, item_id: str) -> str:
    """An item's whole Codex JSON text (paging through ``getItemJson``)."""
    text = await _joined_parts(lambda at: api.get_item_json(thread_id=thread_id, turn_id=turn_id, item_id=item_id,
                                                            from_part=at))
    return text or ""  # never None without `whole`


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


async def thread_json_text(api: HostApi, thread_id: str) -> str | None:
    """The thread's own Codex JSON text (paging through ``getThreadJson``), or None when it was never sent whole."""
    return await _joined_parts(lambda at: api.get_thread_json(thread_id=thread_id, from_part=at), whole=True)


def _turn_of(turn: Turn) -> dict[str, Any]:
    """A stored turn as Codex's JSON: its own JSON when it was sent, else rebuilt from the row (seconds, as Codex)."""
    if turn.json_ is not None:
        out: dict[str, Any] = json.loads(turn.json_)
        return out
    err = None if turn.error is None else {"message": turn.error.message, "codexErrorInfo": turn.error.codex_error_info}
    return {"id": turn.turn_id, "status": turn.status, "error": err, "startedAt": int(turn.started_at // 1000),
            "completedAt": None if turn.completed_at is None else int(turn.completed_at // 1000)}


async def read_codex_thread(api: HostApi, thread_id: str) -> dict[str, Any] | None:
    """The thread as Codex's ``thread/read {includeTurns: true}`` returns it, rebuilt from what the deployment
    holds alone: the thread's own JSON, every turn's own JSON and every item's, in order. Each turn carries all its
    items (``itemsView: "full"``). None when the thread's JSON was never synced (a thread from before contract 5).
    What Codex reports only live (approval decisions, token usage) is not part of ``thread/read``: it is read with
    its own endpoints (``getServerRequest``, ``getTokenUsage``)."""
    text = await thread_json_text(api, thread_id)
    if text is None:
        return None
    thread: dict[str, Any] = json.loads(text)
    turns: list[dict[str, Any]] = []
    stored = all_pages(lambda cursor: api.list_turns(thread_id=thread_id,
                                                     pagination_opts=PaginationOpts(num_items=100, cursor=cursor)))
    async for t in stored:
        turn = _turn_of(t)
        _, items = await turn_items(api, thread_id, t.turn_id)
        turn["items"] = [it.item for it in items if it.item is not None and not it.row.live_only]
        turn["itemsView"] = "full"
        turns.append(turn)
    thread["turns"] = turns
    return thread
