"""Codex's warnings (``warning``: a concise message for the user; ``model/rerouted``) become notices of the
conversation, as its errors do: a warning naming no thread is the bound thread's; one naming another thread is not
replicated here; a message over NOTICE_MAX_CHARS is clipped to it (the component refuses a longer one)."""

from __future__ import annotations

from typing import Any

from codex_convex.events import utf16_len
from codex_convex.host_api.limits import NOTICE_MAX_CHARS
from codex_convex.host_api.models import IngestEventLifecycle
from codex_convex.protocol.notifications import decode
from codex_convex.replication import EventMapper


def mapped(params: dict[str, Any], method: str = "warning") -> list[Any]:
    decoded = decode(method, params)  # the host's own decoding: valid protocol only
    assert decoded is not None
    return EventMapper("th").map(decoded)


def test_a_warning_is_a_notice_of_the_thread_it_names_or_of_the_bound_one() -> None:
    for params in ({"message": "MCP server docs failed to start"},
                   {"message": "MCP server docs failed to start", "threadId": "th"}):
        [event] = mapped(params)
        assert isinstance(event, IngestEventLifecycle)
        assert (event.thread_id, event.kind, event.message) == ("th", "warning", "MCP server docs failed to start")
    assert mapped({"message": "not ours", "threadId": "other"}) == []


def test_a_long_warning_is_clipped_to_the_bound() -> None:
    [event] = mapped({"message": "\U0001F600" * NOTICE_MAX_CHARS})
    assert isinstance(event, IngestEventLifecycle)
    assert utf16_len(event.message) == NOTICE_MAX_CHARS and event.message == "\U0001F600" * (NOTICE_MAX_CHARS // 2)


def test_a_rerouted_model_is_a_warning_of_its_turn() -> None:
    [event] = mapped({"threadId": "th", "turnId": "t1", "fromModel": "gpt-a", "toModel": "gpt-b",
                      "reason": "highRiskCyberActivity"}, "model/rerouted")
    assert isinstance(event, IngestEventLifecycle)
    assert (event.kind, event.turn_id, event.message) == ("warning", "t1",
                                                          "model rerouted from gpt-a to gpt-b (highRiskCyberActivity)")
