"""Turn tracking: which turns are open, how each ended, and the last thing the agent said in it — fed by the
decoded notifications, awaited by ``send``."""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from ..protocol import host_models as codex
from ..protocol.notifications import Decoded, is_nested_turn
from .lifecycle import Lifecycle

__all__ = ["TurnResult", "TurnTracker"]


@dataclass(frozen=True)
class TurnResult:
    turn_id: str
    status: str  # completed | interrupted | failed
    error: codex.TurnError | None
    text: str  # the turn's last agent message
    conversation_id: str | None
    thread_id: str


class TurnTracker:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self._done: dict[str, anyio.Event] = {}
        self._ended: dict[str, codex.Turn] = {}
        self._last_text: dict[str, str] = {}
        self._reviews: set[str] = set()  # /review turns running
        self.ended_count = 0  # turns ended so far (any turn: a compaction's too)
        self.last_ended: str | None = None
        self._an_end = anyio.Event()

    def observe(self, n: Decoded) -> None:
        match n.value:
            case codex.ItemStartedNotification(turn_id=turn_id,
                                            item=codex.ThreadItem(root=codex.EnteredReviewModeThreadItem())):
                self._reviews.add(turn_id)
                self.lifecycle.update(turn_id=turn_id)  # a review's turn runs (Codex sends no turn/started for it)
            case codex.TurnStartedNotification(turn=turn) if is_nested_turn(turn) and (
                    turn.root_turn_id in self._reviews):
                pass  # a /review's reviewer: the review's turn is the one running (replication.events)
            case codex.TurnStartedNotification(turn=turn):
                self.lifecycle.update(turn_id=turn.id)
            case codex.ItemCompletedNotification(turn_id=turn_id,
                                              item=codex.ThreadItem(root=codex.AgentMessageThreadItem(text=text))):
                self._last_text[turn_id] = text
            case codex.TurnCompletedNotification(turn=turn):
                self._reviews.discard(turn.id)
                self._ended[turn.id] = turn
                self.lifecycle.update(turn_id=None)
                self._done.setdefault(turn.id, anyio.Event()).set()
                self.ended_count += 1
                self.last_ended = turn.id
                self._an_end.set()
                self._an_end = anyio.Event()

    async def wait_ended(self, count: int) -> None:
        """Until more than ``count`` turns have ended (a turn Codex starts itself, e.g. a compaction)."""
        while self.ended_count <= count:
            await self._an_end.wait()

    def expect(self, turn_id: str) -> anyio.Event:
        """The event set when the turn ends (create it before starting the turn: it may end at once)."""
        return self._done.setdefault(turn_id, anyio.Event())

    def open_turns(self) -> list[str]:
        return [t for t, done in self._done.items() if not done.is_set()]

    def fail(self, turn_id: str, reason: str) -> None:
        """End an open turn as failed (Codex went away)."""
        self._ended[turn_id] = codex.Turn(id=turn_id, items=[], status=codex.TurnStatus.failed,
                                       error=codex.TurnError(message=reason))
        self._done.setdefault(turn_id, anyio.Event()).set()

    def take(self, turn_id: str) -> tuple[codex.Turn | None, str]:
        """How the turn ended (``None``: never seen) and its last agent text; forgets the turn."""
        self._done.pop(turn_id, None)
        return self._ended.pop(turn_id, None), self._last_text.pop(turn_id, "")
