"""A client's message: any client of the user (the page's composer, ``codex-convex send``) gives, through Convex, the
host driving a conversation text to run (``sendClientMessage``). The host watches the bound conversation's queued
messages while it is bound and takes each in the order sent: a turn starts with it when Codex is idle, or it steers
the running turn (Codex adds it to that turn); it then records what it did (``markClientMessageHandled``: started or
steered, with the turn's id; failed, with why). It takes each first (``takeClientMessage``: once, while queued), so a
host gone between giving it to Codex and saying so leaves it ``unconfirmed`` (it may have run), and a host that no
longer drives the conversation cannot run it. Messages still queued when a host binds the conversation were sent
while no host had it open: binding marks them ``stale`` (server side, so none sent after the bind is), not run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

import structlog

from ..convex_api import Subscriber
from ..errors import CodexConvexError
from ..host_api import HostApi, HostSubscriptions
from ..host_api.limits import TURN_ERROR_MAX_CHARS

__all__ = ["Taken", "watch_client_messages"]

log = structlog.get_logger("codex_convex.client_messages")

Taken = tuple[Literal["started", "steered"], str]
"""What the host did with a message: a turn started with it, or the running turn steered with it; the turn's id."""


async def watch_client_messages(api: HostApi, subscriber: Subscriber, conversation_id: str,
                                take: Callable[[str], Awaitable[Taken]]) -> None:
    """Until cancelled (the binding ends): give each new message of the conversation to ``take``, oldest first."""
    seen: set[str] = set()
    async for queued in HostSubscriptions(subscriber).list_queued_client_messages(conversation_id=conversation_id):
        for m in queued:
            if m.message_id in seen:  # marked already; this snapshot was taken before the mark
                continue
            seen.add(m.message_id)
            try:
                await api.take_client_message(message_id=m.message_id)
            except CodexConvexError as exc:  # marked meanwhile (another host bound the conversation): not ours
                if exc.code != "E_CLIENT_MESSAGE_NOT_QUEUED":
                    raise
                log.info("client_message.not_queued", conversation_id=conversation_id, message_id=m.message_id)
                continue
            try:
                state, turn_id = await take(m.text)
            except CodexConvexError as exc:  # Codex refused it or went away: said so, not taken out on the host
                log.warning("client_message.failed", conversation_id=conversation_id, message_id=m.message_id,
                            error=str(exc))
                await api.mark_client_message_handled(message_id=m.message_id, state="failed",
                                                      error=str(exc)[:TURN_ERROR_MAX_CHARS] or exc.code)
                continue
            await api.mark_client_message_handled(message_id=m.message_id, state=state, turn_id=turn_id)
            log.info("client_message.taken", conversation_id=conversation_id, message_id=m.message_id, state=state,
                     turn_id=turn_id)
