"""Codex data → ingest events: the one place they are built, for live replication (``replication/``) and for
imports (``sync/``) alike, so both land in the same rows.

Items travel as Codex sent them: their JSON text is made from the raw item (``json.dumps`` of what Codex gave),
never from a model of it, so an imported or replicated item reads back equal to ``thread/read``.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import structlog

from ..host_api.limits import (
    CHUNK_MAX_BYTES,
    GOAL_OBJECTIVE_MAX_CHARS,
    INLINE_VIEW_PARTS,
    NOTICE_MAX_CHARS,
    PART_MAX_CHARS,
    PLAN_EXPLANATION_MAX_CHARS,
    PLAN_MAX_STEPS,
    PLAN_STEP_MAX_CHARS,
    PREVIEW_MAX_CHARS,
    SERVER_REQUEST_PARAMS_MAX_CHARS,
    THREAD_FIELD_MAX_CHARS,
    TITLE_MAX_CHARS,
    TURN_ERROR_MAX_CHARS,
    TURN_JSON_MAX_CHARS,
)
from ..host_api.models import (
    IngestEvent,
    IngestEventItem,
    IngestEventLifecycle,
    IngestEventMessageDelta,
    IngestEventServerRequest,
    IngestEventServerRequestResolved,
    IngestEventThreadGoal,
    IngestEventThreadJson,
    IngestEventThreadMeta,
    IngestEventTokenUsage,
    IngestEventTurnCompleted,
    IngestEventTurnPlan,
    IngestEventTurnStarted,
    ItemPhase,
    ThreadGoal,
    TurnError,
    TurnPlanSteps,
    TurnStatus,
)
from .item_view import view_events
from .text import clip_json, cut_units, split_text, utf16_len

if TYPE_CHECKING:  # only its shape: an import (sync) must not pay for building the protocol's models
    from ..protocol import host_models as codex

__all__ = [
    "DELTA_MAX_CHARS",
    "PART_MAX_BYTES",
    "canonical_json",
    "error_notice",
    "item_events",
    "message_deltas",
    "server_request",
    "server_request_resolved",
    "thread_json",
    "thread_meta",
    "token_usage",
    "turn_completed",
    "turn_digest",
    "turn_error",
    "turn_json",
    "turn_started",
    "warning_notice",
]

# UTF-8 bytes of one item part: half a chunk, so a part always fits a sync chunk with its record around it.
PART_MAX_BYTES = CHUNK_MAX_BYTES // 2
# Characters per messageDelta event (a longer delta from Codex is split), so no batch outgrows Convex's limits.
DELTA_MAX_CHARS = 64 * 1024

JsonObject = dict[str, Any]

log = structlog.get_logger("codex_convex.events")


def _compact(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"))


def thread_meta(thread_id: str, at: float, *, name: str | None = None, preview: str | None = None,
                cwd: str | None = None, forked_from_id: str | None = None,
                parent_thread_id: str | None = None) -> IngestEventThreadMeta:
    """A thread's metadata; ``forked_from_id`` (Codex's) links a fork's conversation to its parent's, and
    ``parent_thread_id`` (Codex's) a sub-agent's to the conversation of the thread that spawned it. A name over
    :data:`TITLE_MAX_CHARS` (it becomes the conversation's title) or a cwd over :data:`THREAD_FIELD_MAX_CHARS` is
    clipped, and logged; the preview (Codex's: the whole first message, which can be megabytes) is cut to its first
    :data:`PREVIEW_MAX_CHARS`. The thread's own JSON (:func:`thread_json`) keeps them all whole."""
    clipped_name = None if name is None else cut_units(name, TITLE_MAX_CHARS)
    clipped_cwd = None if cwd is None else cut_units(cwd, THREAD_FIELD_MAX_CHARS)
    if clipped_name != name or clipped_cwd != cwd:
        log.warning("thread_meta.clipped", thread_id=thread_id, name_chars=len(name or ""), cwd_chars=len(cwd or ""))
    cut_preview = None if preview is None else cut_units(preview, PREVIEW_MAX_CHARS)
    return IngestEventThreadMeta(thread_id=thread_id, name=clipped_name, preview=cut_preview, cwd=clipped_cwd,
                                 forked_from_id=forked_from_id, parent_thread_id=parent_thread_id, at=at)


def _text(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def canonical_json(v: Any) -> str:
    """The one text of a JSON value: keys sorted, no spaces, UTF-8 as is (what digests and equality tests hash)."""
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def thread_json(thread: JsonObject, at: float) -> list[IngestEventThreadJson]:
    """Codex's own JSON of a thread without its turns (its preview can be a whole first message: split in parts),
    with the SHA-256 of the whole text; the server keeps it to rebuild ``thread/read``."""
    data = _text({k: v for k, v in thread.items() if k != "turns"})
    parts = split_text(data, PART_MAX_CHARS, max_bytes=PART_MAX_BYTES)
    sha = hashlib.sha256(data.encode("utf-8")).hexdigest()
    return [IngestEventThreadJson(thread_id=str(thread["id"]), part=i, part_count=len(parts), data=p, sha256=sha, at=at)
            for i, p in enumerate(parts)]


def turn_json(turn: JsonObject) -> str | None:
    """Codex's own JSON of a turn without its items (stored with the turn). Only a huge error makes it longer than
    :data:`TURN_JSON_MAX_CHARS`: then its error's text fields are clipped to :data:`TURN_ERROR_MAX_CHARS` (logged),
    and if that is not enough it is None (the turn is then rebuilt from its row)."""
    own = {k: v for k, v in turn.items() if k != "items"}
    text = _text(own)
    if utf16_len(text) <= TURN_JSON_MAX_CHARS:
        return text
    err = own.get("error")
    if isinstance(err, dict):
        own["error"] = {k: cut_units(v, TURN_ERROR_MAX_CHARS) if isinstance(v, str) else v for k, v in err.items()}
    clipped = _text(own)
    fits = utf16_len(clipped) <= TURN_JSON_MAX_CHARS
    log.info("events.turn_json_clipped", turn_id=turn.get("id"), chars=utf16_len(text), limit=TURN_JSON_MAX_CHARS,
             note="its error's text clipped" if fits else "kept without it: rebuilt from the turn's row")
    return clipped if fits else None


def turn_digest(turn: JsonObject) -> str:
    """SHA-256 of a turn with its items, as Codex's ``thread/read`` gives it (canonical JSON): the link of the
    thread's chain that tells a sync which turns the server already holds."""
    return hashlib.sha256(canonical_json(turn).encode("utf-8")).hexdigest()


def turn_started(thread_id: str, turn_id: str, at: float, *, json_text: str | None = None) -> IngestEventTurnStarted:
    return IngestEventTurnStarted(thread_id=thread_id, turn_id=turn_id, json_=json_text, at=at)


def turn_error(err: JsonObject | None) -> TurnError | None:
    """Codex's TurnError, kept structured (message, codexErrorInfo, details), never ``"[object Object]"``."""
    if not err:
        return None
    info = err.get("codexErrorInfo")
    details = {k: v for k, v in err.items() if k not in ("message", "codexErrorInfo") and v is not None}
    fields = {"message": str(err.get("message") or "unknown error"),
              "codex_error_info": None if info is None else info if isinstance(info, str) else _compact(info),
              "details_json": _compact(details) if details else None}
    for name, text in fields.items():
        clipped = None if text is None else cut_units(text, TURN_ERROR_MAX_CHARS)
        if clipped != text:
            log.info("events.turn_error_clipped", field=name, chars=utf16_len(text or ""), limit=TURN_ERROR_MAX_CHARS)
            fields[name] = clipped
    return TurnError(**fields)


def turn_completed(thread_id: str, turn_id: str, status: TurnStatus, error: JsonObject | None, at: float, *,
                   keep_items: list[str] | None = None, codex_items: list[str] | None = None,
                   json_text: str | None = None, digest: str | None = None) -> IngestEventTurnCompleted:
    """A turn's end; ``keep_items`` (when reconciling from ``thread/read``) is its whole list of items: any other
    the conversation holds for the turn is removed; ``codex_items`` (a live host, at the turn's end): the items
    Codex kept, the others stay marked ``liveOnly``. ``json_text``: the turn's own JSON (:func:`turn_json`);
    ``digest`` (imports): :func:`turn_digest` of the whole turn."""
    return IngestEventTurnCompleted(thread_id=thread_id, turn_id=turn_id, status=status, error=turn_error(error),
                                    keep_items=keep_items, codex_items=codex_items, json_=json_text, digest=digest,
                                    at=at)


def item_events(thread_id: str, turn_id: str, item: JsonObject, phase: ItemPhase, at: float) -> list[IngestEvent]:
    """One ``item`` event per part of the item's JSON (parts within the component's and a chunk's limits); an item
    of more parts than the server joins (:data:`INLINE_VIEW_PARTS`) also carries, on its last part, its view as a
    message (``None``: not a message) and its text as ``messageText`` events."""
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    parts = split_text(data, PART_MAX_CHARS, max_bytes=PART_MAX_BYTES)
    item_id, item_type = str(item.get("id", "")), str(item.get("type", "unknown"))
    events: list[IngestEvent] = [
        IngestEventItem(thread_id=thread_id, turn_id=turn_id, item_id=item_id, phase=phase,
                        item_type=item_type, part=i, part_count=len(parts), data=p, at=at)
        for i, p in enumerate(parts)]
    if len(parts) <= INLINE_VIEW_PARTS:
        return events
    view, texts = view_events(thread_id, turn_id, item, phase, at)
    last = events[-1]
    assert isinstance(last, IngestEventItem)
    events[-1] = last.model_copy(update={"view": view})
    return [*events, *texts]


def message_deltas(thread_id: str, turn_id: str, item_id: str, delta: str, first: int,
                   at: float) -> list[IngestEventMessageDelta]:
    """An agent-message delta as events numbered from ``first`` (a huge one split into :data:`DELTA_MAX_CHARS`
    pieces, each its own delta)."""
    pieces = split_text(delta, DELTA_MAX_CHARS) if len(delta) > DELTA_MAX_CHARS // 2 else [delta]
    return [IngestEventMessageDelta(thread_id=thread_id, turn_id=turn_id, item_id=item_id, first_delta=first + i,
                                    delta_count=1, text=piece, at=at) for i, piece in enumerate(pieces)]


def token_usage(thread_id: str, turn_id: str, usage: codex.ThreadTokenUsage, at: float) -> IngestEventTokenUsage:
    """Codex's token usage report (its ``thread/tokenUsage/updated``, decoded)."""
    total = usage.total
    return IngestEventTokenUsage(
        thread_id=thread_id, turn_id=turn_id, total_tokens=total.total_tokens, input_tokens=total.input_tokens,
        cached_input_tokens=total.cached_input_tokens, output_tokens=total.output_tokens,
        reasoning_output_tokens=total.reasoning_output_tokens, last_total_tokens=usage.last.total_tokens,
        context_window=usage.model_context_window, at=at)


def plan_event(thread_id: str, turn_id: str, plan: codex.TurnPlanUpdatedNotification, at: float) -> IngestEventTurnPlan:
    """The turn's plan as the model just set it (Codex's ``turn/plan/updated``), clipped to the component's bounds
    (:data:`PLAN_MAX_STEPS` steps, :data:`PLAN_STEP_MAX_CHARS` per step, :data:`PLAN_EXPLANATION_MAX_CHARS`) and
    then marked ``truncated``."""
    steps = [TurnPlanSteps(step=cut_units(s.step, PLAN_STEP_MAX_CHARS), status=s.status.value)
             for s in plan.plan[:PLAN_MAX_STEPS]]
    explanation = None if plan.explanation is None else cut_units(plan.explanation, PLAN_EXPLANATION_MAX_CHARS)
    truncated = (len(plan.plan) > PLAN_MAX_STEPS or explanation != plan.explanation
                 or any(a.step != b.step for a, b in zip(steps, plan.plan[:PLAN_MAX_STEPS], strict=True)))
    return IngestEventTurnPlan(thread_id=thread_id, turn_id=turn_id, explanation=explanation, steps=steps,
                               truncated=truncated, at=at)


def error_notice(thread_id: str, turn_id: str | None, error: JsonObject | None, will_retry: bool | None,
                    at: float) -> IngestEventLifecycle:
    """Codex's ``error`` notification (a failed model call, maybe retried) as a notice in the conversation (the
    wire event type is ``lifecycle``: the name the stored events keep)."""
    err = turn_error(error) or TurnError(message="error")
    details = {**err.model_dump(by_alias=True, exclude_none=True), "willRetry": will_retry}
    return IngestEventLifecycle(thread_id=thread_id, turn_id=turn_id or None, kind="error", message=err.message,
                                details_json=_compact(details), at=at)


def warning_notice(thread_id: str, message: str, at: float, *, turn_id: str | None = None) -> IngestEventLifecycle:
    """Codex's ``warning`` notification (a concise message for the user; also a model rerouted) as a notice in the
    conversation, its message clipped to :data:`NOTICE_MAX_CHARS`."""
    return IngestEventLifecycle(thread_id=thread_id, turn_id=turn_id, kind="warning",
                                message=cut_units(message, NOTICE_MAX_CHARS), at=at)


def goal_event(thread_id: str, goal: JsonObject | None, at: float) -> IngestEventThreadGoal:
    """The thread's goal as Codex just reported it (``thread/goal/updated``; ``None``: ``thread/goal/cleared``), its
    objective clipped to :data:`GOAL_OBJECTIVE_MAX_CHARS` (logged: Codex keeps it whole)."""
    if goal is None:
        return IngestEventThreadGoal(thread_id=thread_id, goal=None, at=at)
    objective = str(goal.get("objective", ""))
    clipped = cut_units(objective, GOAL_OBJECTIVE_MAX_CHARS)
    if clipped != objective:
        log.info("events.goal_objective_clipped", thread_id=thread_id, chars=utf16_len(objective),
                 kept=GOAL_OBJECTIVE_MAX_CHARS)
    fields = {k: goal.get(k) for k in ("status", "tokenBudget", "tokensUsed", "timeUsedSeconds", "createdAt",
                                       "updatedAt")}
    return IngestEventThreadGoal(thread_id=thread_id, goal=ThreadGoal.model_validate(
        {**fields, "objective": clipped}), at=at)


def server_request(thread_id: str, turn_id: str, request_id: str, method: str, params: JsonObject,
                   at: float) -> IngestEventServerRequest:
    """A request Codex waits on (an approval…), its params as Codex sent them: when their JSON is over
    :data:`SERVER_REQUEST_PARAMS_MAX_CHARS` (a long command is in them several times), its long strings are cut to
    fit and ``params_clipped`` says so; the item's own JSON keeps the command or change whole."""
    item_id = params.get("itemId")
    text, clipped = clip_json(params, SERVER_REQUEST_PARAMS_MAX_CHARS, _compact)
    if clipped:
        log.info("events.request_params_clipped", request_id=request_id, method=method,
                 chars=utf16_len(_compact(params)))
    return IngestEventServerRequest(thread_id=thread_id, turn_id=turn_id, request_id=request_id, method=method,
                                    item_id=str(item_id) if item_id else None, params_json=text,
                                    params_clipped=True if clipped else None, at=at)


def server_request_resolved(thread_id: str, turn_id: str, request_id: str,
                            at: float) -> IngestEventServerRequestResolved:
    return IngestEventServerRequestResolved(thread_id=thread_id, turn_id=turn_id, request_id=request_id, at=at)
