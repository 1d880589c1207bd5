"""Codex data → the component's ingest events (typed: ``host_api.models.IngestEvent``), built in one place for live
replication and imports alike; the text splitter and the host's reading of large items as messages."""

from .build import (
    DELTA_MAX_CHARS,
    PART_MAX_BYTES,
    canonical_json,
    error_notice,
    goal_event,
    item_events,
    message_deltas,
    plan_event,
    server_request,
    server_request_resolved,
    thread_json,
    thread_meta,
    token_usage,
    turn_completed,
    turn_digest,
    turn_error,
    turn_json,
    turn_started,
    warning_notice,
)
from .item_view import REASONING_PART_SEPARATOR, message_view, view_events
from .text import split_text, utf16_len

__all__ = [
    "DELTA_MAX_CHARS",
    "PART_MAX_BYTES",
    "REASONING_PART_SEPARATOR",
    "canonical_json",
    "error_notice",
    "goal_event",
    "item_events",
    "message_deltas",
    "message_view",
    "plan_event",
    "server_request",
    "server_request_resolved",
    "split_text",
    "thread_json",
    "thread_meta",
    "token_usage",
    "turn_completed",
    "turn_digest",
    "turn_error",
    "turn_json",
    "turn_started",
    "utf16_len",
    "view_events",
    "warning_notice",
]
