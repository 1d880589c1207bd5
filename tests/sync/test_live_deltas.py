"""Live deltas besides an agent message's (replication/events.py): a reasoning summary's spell the text the finished
item's view has — parts a blank line apart — however Codex announces the parts (before their first delta, not at all,
twice); a running command's output streams up to a bounded preview, said once in the log when it is full."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from codex_convex.events import REASONING_PART_SEPARATOR, message_view
from codex_convex.host_api.models import IngestEventMessageDelta
from codex_convex.protocol.notifications import decode
from codex_convex.replication import EventMapper
from codex_convex.replication.events import COMMAND_OUTPUT_PREVIEW_CHARS

AT = {"threadId": "th", "turnId": "t1", "itemId": "rs_1"}


def feed(mapper: EventMapper, notes: list[tuple[str, dict[str, Any]]]) -> list[IngestEventMessageDelta]:
    out = []
    for method, params in notes:
        decoded = decode(method, {**AT, **params})  # the host's own decoding: valid protocol only
        assert decoded is not None
        out += [e for e in mapper.map(decoded) if isinstance(e, IngestEventMessageDelta)]
    return out


def part(i: int) -> tuple[str, dict[str, Any]]:
    return "item/reasoning/summaryPartAdded", {"summaryIndex": i}


def delta(i: int, text: str) -> tuple[str, dict[str, Any]]:
    return "item/reasoning/summaryTextDelta", {"summaryIndex": i, "delta": text}


def test_announced_unannounced_and_repeated_parts_spell_the_views_text() -> None:
    summary = ["weigh it", "", "pick one"]
    view = message_view({"type": "reasoning", "id": "rs_1", "summary": summary, "content": []}, "completed")
    assert view is not None
    orders = {
        "announced": [part(0), delta(0, "weigh "), delta(0, "it"), part(1), part(2), delta(2, "pick "),
                      delta(2, "one")],
        "unannounced": [delta(0, "weigh "), delta(0, "it"), part(1), delta(2, "pick "), delta(2, "one")],
        "repeated": [part(0), part(0), delta(0, "weigh it"), part(1), part(1), delta(1, ""), part(2),
                     delta(2, "pick one"), part(2)],
    }
    for name, notes in orders.items():
        events = feed(EventMapper("th"), notes)
        assert "".join(e.text for e in events) == view["text"] == REASONING_PART_SEPARATOR.join(summary), name
        # numbered one after another from 0: the server applies them in order, each once
        assert [int(e.first_delta) for e in events] == list(range(len(events))), name


def test_an_agent_message_in_the_same_turn_is_numbered_on_its_own() -> None:
    mapper = EventMapper("th")
    feed(mapper, [part(0), delta(0, "a"), part(1), delta(1, "b")])
    decoded = decode("item/agentMessage/delta", {**AT, "itemId": "msg_1", "delta": "hi"})
    assert decoded is not None
    (answer,) = mapper.map(decoded)
    assert isinstance(answer, IngestEventMessageDelta) and (answer.item_id, int(answer.first_delta)) == ("msg_1", 0)


def test_a_commands_live_output_is_a_bounded_preview() -> None:
    mapper = EventMapper("th")
    chunk = "0123456789abcdef" * 4096  # 64 Ki characters
    notes = [("item/commandExecution/outputDelta", {"itemId": "call_1", "delta": chunk}) for _ in range(6)]
    with capture_logs() as logs:
        events = feed(mapper, notes)
    streamed = "".join(e.text for e in events)
    assert streamed == (chunk * 6)[:COMMAND_OUTPUT_PREVIEW_CHARS]
    assert [int(e.first_delta) for e in events] == list(range(len(events)))
    assert [entry["event"] for entry in logs] == ["replication.command_output_preview_full"]  # said once
    other = feed(mapper, [("item/commandExecution/outputDelta", {"itemId": "call_2", "delta": "ok\n"})])
    assert [e.text for e in other] == ["ok\n"]  # each command has its own preview
