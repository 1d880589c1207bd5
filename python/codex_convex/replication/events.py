"""Codex notifications → component ingest events, for one thread.

:class:`EventMapper` takes notifications decoded once by the host (``protocol.notifications.decode``) and keeps the
little state mapping needs: delta counters per item, and which turn a server request belongs to. The events
themselves are built by ``events/`` (shared with imports).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import structlog

from ..events import (
    REASONING_PART_SEPARATOR,
    error_notice,
    goal_event,
    item_events,
    message_deltas,
    plan_event,
    server_request,
    server_request_resolved,
    thread_meta,
    token_usage,
    turn_completed,
    turn_json,
    turn_started,
    warning_notice,
)
from ..host_api.models import IngestEvent, ItemPhase, TurnStatus
from ..protocol import host_models as codex
from ..protocol.notifications import Decoded, is_nested_turn

__all__ = ["COMMAND_OUTPUT_PREVIEW_CHARS", "EventMapper", "now_ms"]

log = structlog.get_logger("codex_convex.replication")

# A running command's output streams into its message up to this many characters (16 text segments, 32 if every one
# is outside the BMP: the message's rewrite when the command ends reads them in one bounded transaction, ≤ 2 MiB); the
# whole, as Codex keeps it (`aggregatedOutput`), replaces it when the command ends.
COMMAND_OUTPUT_PREVIEW_CHARS = 256 * 1024


def now_ms() -> float:
    return time.time() * 1000.0


@dataclass
class Review:
    """A /review turn's progress (see ``EventMapper._item``)."""

    held: list[IngestEvent] | None = field(default_factory=list)  # its events until its reviewer's turn begins
    reviewer: str | None = None  # the reviewer's turn, from its turn/started to exitedReviewMode
    nested: str | None = None  # the reviewer's turn, from its turn/started on


@dataclass
class EventMapper:
    """Maps one app-server's notifications for one thread to ingest events."""

    thread_id: str
    deltas: dict[tuple[str, str], int] = field(default_factory=dict)  # (turnId, itemId) → deltas seen
    summary_parts: dict[tuple[str, str], int] = field(default_factory=dict)  # reasoning (turnId, itemId) → part
    output_chars: dict[tuple[str, str], int] = field(default_factory=dict)  # command (turnId, itemId) → streamed
    previews_full: set[tuple[str, str]] = field(default_factory=set)  # commands whose live output reached the cap
    request_turns: dict[str, str] = field(default_factory=dict)  # requestId → turnId
    reviews: dict[str, Review] = field(default_factory=dict)  # a /review's turn id → how far it got
    reviewed: dict[str, str] = field(default_factory=dict)  # an ended review's turn → its reviewer's (to settle)
    reviewer_messages: set[tuple[str, str]] = field(default_factory=set)  # (turnId, itemId): not replicated

    def map(self, n: Decoded) -> list[IngestEvent]:
        v = n.value
        if getattr(v, "thread_id", None) not in (None, self.thread_id):  # a warning may name no thread: ours
            return []
        at = float(n.raw.get("emittedAtMs") or now_ms())
        thread_id = self.thread_id
        match v:
            case codex.ThreadStartedNotification(thread=t) if t.id == thread_id:
                return [self.thread_opened(t, at)]
            case codex.ThreadNameUpdatedNotification(thread_name=str(name)):
                return [thread_meta(thread_id, at, name=name)]
            case codex.TurnStartedNotification(turn=turn) if is_nested_turn(turn) and turn.root_turn_id in self.reviews:
                return self._reviewer_started(turn.id, str(turn.root_turn_id), n.raw["turn"], at)
            case codex.TurnStartedNotification(turn=turn):
                return [turn_started(thread_id, turn.id, at, json_text=turn_json(n.raw["turn"]))]
            case codex.TurnCompletedNotification(turn=turn):
                status: TurnStatus = turn.status.value if turn.status else "completed"
                review = self.reviews.pop(turn.id, Review())
                if review.nested is not None:
                    self.reviewed[turn.id] = review.nested
                held = review.held or []  # a review that ended before its reviewer began
                return [*held, turn_completed(thread_id, turn.id, status, n.raw["turn"].get("error"), at,
                                              json_text=turn_json(n.raw["turn"]))]
            case codex.ItemStartedNotification(turn_id=turn_id) | codex.ItemCompletedNotification(turn_id=turn_id):
                phase: ItemPhase = "started" if isinstance(v, codex.ItemStartedNotification) else "completed"
                return self._item(turn_id, n.raw["item"], phase, at)
            case codex.AgentMessageDeltaNotification(turn_id=turn_id, item_id=item_id, delta=delta):
                return self._deltas(self._owner(turn_id), item_id, delta, at)
            case codex.PlanDeltaNotification(turn_id=turn_id, item_id=item_id, delta=delta):
                # plan mode's proposed plan, streamed as a message of its own (the completed item's text replaces it)
                return self._deltas(self._owner(turn_id), item_id, delta, at)
            case codex.ReasoningSummaryPartAddedNotification(turn_id=turn_id, item_id=item_id, summary_index=part):
                return self._summary_part(self._owner(turn_id), item_id, part, at)
            case codex.ReasoningSummaryTextDeltaNotification(turn_id=turn_id, item_id=item_id, summary_index=part,
                                                             delta=delta):
                turn_of = self._owner(turn_id)
                return [*self._summary_part(turn_of, item_id, part, at), *self._deltas(turn_of, item_id, delta, at)]
            case codex.CommandExecutionOutputDeltaNotification(turn_id=turn_id, item_id=item_id, delta=delta):
                return self._command_output(self._owner(turn_id), item_id, delta, at)
            case codex.TurnPlanUpdatedNotification(turn_id=turn_id):
                event = plan_event(thread_id, turn_id, v, at)
                if event.truncated:
                    log.info("replication.plan_clipped", turn_id=turn_id, steps=len(v.plan),
                             note="kept within the component's plan bounds, marked truncated")
                return [event]
            case codex.ThreadTokenUsageUpdatedNotification(turn_id=turn_id, token_usage=usage):
                return [token_usage(thread_id, turn_id, usage, at)]
            case codex.ThreadGoalUpdatedNotification():
                return [goal_event(thread_id, n.raw["goal"], at)]
            case codex.ThreadGoalClearedNotification():
                return [goal_event(thread_id, None, at)]
            case codex.WarningNotification(message=message):
                return [warning_notice(thread_id, message, at)]
            case codex.ModelReroutedNotification(from_model=was, to_model=now, reason=reason, turn_id=turn_id):
                return [warning_notice(thread_id, f"model rerouted from {was} to {now} ({reason.value})", at,
                                       turn_id=turn_id)]
            case codex.ErrorNotification(turn_id=turn_id, will_retry=will_retry):
                # Codex's error as it sent it: kept whole (detailsJson), fields a newer Codex adds included
                return [error_notice(thread_id, turn_id, n.raw["error"], will_retry, at)]
            case codex.ServerRequestResolvedNotification(request_id=request_id):
                rid = str(getattr(request_id, "root", request_id))
                owner = self.request_turns.get(rid)
                return [] if owner is None else [server_request_resolved(thread_id, owner, rid, at)]
        return []

    # A /review (review/start) is a turn R that Codex starts without turn/started: enteredReviewMode, then the
    # reviewer's turn N (turn/started, rootTurnId R, never ended by a notification: Codex's other turns with a
    # rootTurnId, a goal's continuations, start and end as any), whose items Codex reports under
    # R's id, then exitedReviewMode and the review as an agentMessage, then turn/completed for R. thread/read keeps N
    # (interrupted, holding the reviewer's prompt and what it ran) *before* R. So the mapper holds R's first events
    # until N starts (N's row comes first), gives N what comes under R while the reviewer runs, and leaves out the
    # reviewer's messages (Codex sends their start only: their text and end are held back, thread/read has none).

    def _item(self, turn_id: str, item: dict[str, Any], phase: ItemPhase, at: float) -> list[IngestEvent]:
        kind = item.get("type")
        review = self.reviews.get(turn_id)
        if kind == "enteredReviewMode" and review is None:
            review = self.reviews[turn_id] = Review()
        elif kind == "exitedReviewMode" and review is not None:
            review.reviewer = None  # what follows is the review's own: exitedReviewMode, the review itself
        owner = self._owner(turn_id)
        if owner != turn_id and kind == "agentMessage":
            self.reviewer_messages.add((owner, str(item.get("id"))))
            return []
        events = item_events(self.thread_id, owner, item, phase, at)  # the item as Codex sent it
        if review is not None and review.held is not None:
            review.held += events  # until the reviewer's turn begins
            return []
        return events

    def _reviewer_started(self, turn_id: str, root: str, raw: dict[str, Any], at: float) -> list[IngestEvent]:
        review = self.reviews[root]
        held, review.held, review.reviewer, review.nested = review.held or [], None, turn_id, turn_id
        return [turn_started(self.thread_id, turn_id, at, json_text=turn_json(raw)), *held]

    def _owner(self, turn_id: str) -> str:
        """The turn an item reported under ``turn_id`` belongs to: the reviewer's while a review's reviewer runs."""
        review = self.reviews.get(turn_id)
        return turn_id if review is None or review.reviewer is None else review.reviewer

    def _deltas(self, turn_id: str, item_id: str, delta: str, at: float) -> list[IngestEvent]:
        """A streamed piece of a message's text (an agent message's, a reasoning summary's, a command's output)."""
        key = (turn_id, item_id)
        if key in self.reviewer_messages:
            return []
        events = message_deltas(self.thread_id, turn_id, item_id, delta, self.deltas.get(key, 0), at)
        self.deltas[key] = self.deltas.get(key, 0) + len(events)
        return list(events)

    def _command_output(self, turn_id: str, item_id: str, delta: str, at: float) -> list[IngestEvent]:
        """A running command's output, streamed live up to :data:`COMMAND_OUTPUT_PREVIEW_CHARS`."""
        key = (turn_id, item_id)
        sent = self.output_chars.get(key, 0)
        piece = delta[:max(0, COMMAND_OUTPUT_PREVIEW_CHARS - sent)]
        if len(piece) < len(delta) and key not in self.previews_full:
            self.previews_full.add(key)
            log.info("replication.command_output_preview_full", item_id=item_id, chars=COMMAND_OUTPUT_PREVIEW_CHARS,
                     note="the rest lands with the finished command")
        self.output_chars[key] = sent + len(piece)
        return self._deltas(turn_id, item_id, piece, at) if piece else []

    def _summary_part(self, turn_id: str, item_id: str, part: int, at: float) -> list[IngestEvent]:
        """A reasoning summary's next part begins (announced, or its first delta): after a part, the separator the
        finished item's view puts between parts, so the streamed text is the view's text."""
        key = (turn_id, item_id)
        current = self.summary_parts.get(key)
        if current is not None and part <= current:
            return []
        self.summary_parts[key] = part
        return [] if current is None else self._deltas(turn_id, item_id, REASONING_PART_SEPARATOR, at)

    def thread_opened(self, thread: codex.Thread, at: float | None = None) -> IngestEvent:
        """The thread's metadata (from ``thread/started``, or the response of ``thread/start|resume|fork``)."""
        return thread_meta(self.thread_id, now_ms() if at is None else at, name=thread.name, preview=thread.preview,
                           cwd=thread.cwd.root, forked_from_id=thread.forked_from_id,
                           parent_thread_id=thread.parent_thread_id)

    def turn_failed(self, turn_id: str, reason: str) -> IngestEvent:
        """A turn Codex will never finish (it went away), ended as failed."""
        return turn_completed(self.thread_id, turn_id, "failed", {"message": reason}, now_ms())

    def server_request(self, request_id: str, method: str, params: dict[str, Any]) -> IngestEvent:
        turn_id = str(params.get("turnId", ""))
        self.request_turns[request_id] = turn_id
        return server_request(self.thread_id, turn_id, request_id, method, params, now_ms())
