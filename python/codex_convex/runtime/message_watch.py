"""``watch_message_text``: one message's whole text, live, for a reader that shows a long streaming message.

The text comes in pages of 8 segments (``getMessageSegments``). A page that names a next one is settled (text is
only ever appended, and a segment follows only a full one), so the reader keeps its text and moves its one
subscription on to the next page. While the message streams, the only query that re-runs on the server is the one
for the page at its growing tail: a reader costs one page per update, not the whole message (a 2 MB message would
otherwise be re-read at every delta, O(N²) in all)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..convex_api import Subscriber
from ..host_api import HostSubscriptions
from ..host_api.models import NotFound

__all__ = ["watch_message_text"]


async def watch_message_text(subscriber: Subscriber, *, thread_id: str, turn_id: str,
                             item_id: str) -> AsyncIterator[str]:
    """Yield the message's whole text (so far) every time it changes; ends when the message does not exist (or is
    deleted)."""
    subs = HostSubscriptions(subscriber)
    settled = ""
    start = 0
    shown: str | None = None
    while True:
        pages: Any = subs.get_message_segments(thread_id=thread_id, turn_id=turn_id, item_id=item_id,
                                               from_segment=start)
        try:
            async for page in pages:
                if isinstance(page, NotFound):
                    return
                text = settled + page.text
                if text != shown:
                    shown = text
                    yield text
                if page.next_segment is not None:  # this page is final: follow the next one instead
                    settled = text
                    start = int(page.next_segment)
                    break
            else:
                return
        finally:
            await pages.aclose()
