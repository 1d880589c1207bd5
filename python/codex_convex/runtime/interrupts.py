"""Remote control: any client of the user asks, through Convex, the host driving a conversation to stop Codex
(``requestInterrupt``: the page's Stop button), to resume the thread's goal (``requestGoalResume``) or to give the
thread a new goal (``requestGoal``). The host watches the bound conversation's newest request while it is bound; on a
new stop it pauses an active goal (else Codex would go on by itself) and interrupts the running turn, on a resume it
sets the goal active (Codex goes on by itself), on a new goal it sets it, active (Codex works toward it), and records
what it did (``markInterruptHandled``). A request still waiting when a host binds the conversation was made
to no host: binding marks it ``stale`` (server side, so none made after the bind is) and the new work is left alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

import structlog

from ..convex_api import Subscriber
from ..errors import CodexConvexError
from ..host_api import HostApi, HostSubscriptions

__all__ = ["watch_interrupts"]

log = structlog.get_logger("codex_convex.interrupts")

Outcome = Literal["interrupted", "idle", "resumed", "noGoal", "goalSet", "failed"]


async def watch_interrupts(api: HostApi, subscriber: Subscriber, conversation_id: str,
                           stop: Callable[[], Awaitable[Outcome]], resume: Callable[[], Awaitable[Outcome]],
                           set_goal: Callable[[str], Awaitable[Outcome]]) -> None:
    """Until cancelled (the binding ends): answer each new request of the conversation, a stop with ``stop``, a
    goal's resume with ``resume``, a new goal with ``set_goal(objective)``."""
    async for req in HostSubscriptions(subscriber).get_interrupt_request(conversation_id=conversation_id):
        if req is not None and req.handled_at is None:
            outcome: Outcome
            try:
                if req.action == "setGoal":
                    outcome = await set_goal(req.objective or "")
                else:
                    outcome = await (resume if req.action == "resumeGoal" else stop)()
            except CodexConvexError as exc:  # Codex went away meanwhile: said so, not taken out on the host
                outcome = "failed"
                log.warning("interrupt.failed", conversation_id=conversation_id, action=req.action, error=str(exc))
            try:  # repeatable (the contract): repeated when its answer was lost
                await api.mark_interrupt_handled(request_id=req.request_id, outcome=outcome)
            except CodexConvexError as exc:  # Convex unreachable for good: logged, the watch goes on
                log.error("interrupt.unmarked", conversation_id=conversation_id, request_id=req.request_id,
                          outcome=outcome, code=exc.code, error=str(exc))
                continue
            log.info("interrupt.handled", conversation_id=conversation_id, action=req.action, outcome=outcome)
