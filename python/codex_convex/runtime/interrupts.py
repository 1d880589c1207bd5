"""Remote interrupt: any client of the user asks, through Convex, the host driving a conversation to stop Codex
(``requestInterrupt``: the page's Stop button). The host watches the bound conversation's newest request while it is
bound; on a new one it pauses an active goal (else Codex would go on by itself), interrupts the running turn, and
records what it did (``markInterruptHandled``). A request already waiting when the host binds was made to no host:
it is marked ``stale`` and the new work is left alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

import structlog

from ..convex_api import Subscriber
from ..errors import CodexConvexError
from ..host_api import HostApi, HostSubscriptions

__all__ = ["watch_interrupts"]

log = structlog.get_logger("codex_convex.interrupts")

Outcome = Literal["interrupted", "idle", "stale"]


async def watch_interrupts(api: HostApi, subscriber: Subscriber, conversation_id: str,
                           stop: Callable[[], Awaitable[Outcome]]) -> None:
    """Until cancelled (the binding ends): answer each new interrupt request of the conversation with ``stop``."""
    first = True
    async for req in HostSubscriptions(subscriber).get_interrupt_request(conversation_id=conversation_id):
        if req is not None and req.handled_at is None:
            outcome: Outcome = "stale" if first else "idle"
            if not first:
                try:
                    outcome = await stop()
                except CodexConvexError as exc:  # Codex went away meanwhile: nothing runs any more
                    log.warning("interrupt.failed", conversation_id=conversation_id, error=str(exc))
            await api.mark_interrupt_handled(request_id=req.request_id, outcome=outcome)
            log.info("interrupt.handled", conversation_id=conversation_id, outcome=outcome)
        first = False
