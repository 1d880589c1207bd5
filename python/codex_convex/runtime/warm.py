"""The validators a host's first turn needs, built ahead of it.

The protocol and wire models build their validators on first use (``defer_build``: the pinned protocol has ~1,450
models and a host uses a few dozen). Those of the notifications and results a turn meets take 15–40 ms each (the
item union); built on first use they blocked the event loop ~150–230 ms inside a user's first turn, between Codex's
``item/started`` and the first delta. :class:`~codex_convex.runtime.CodexHost` builds them in a worker thread while
Codex starts.
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel

from ..host_api.models import IngestEvent
from ..protocol import host_models as codex
from ..protocol.notifications import HOST_NOTIFICATIONS

FIRST_TURN_RESULTS: tuple[type[BaseModel], ...] = (
    codex.ThreadStartResponse, codex.ThreadResumeResponse, codex.TurnStartResponse)


def first_turn_models() -> list[type[BaseModel]]:
    """The notifications the host decodes, the results of starting a thread and a turn, the events it writes."""
    events: tuple[type[BaseModel], ...] = get_args(get_args(IngestEvent)[0])  # Annotated[A | B | …, discriminator]
    return [*HOST_NOTIFICATIONS.values(), *FIRST_TURN_RESULTS, *events]


def build_first_turn_models() -> None:
    """Build each one's validator now (a no-op for one already built)."""
    for m in first_turn_models():
        m.model_rebuild()
