"""A reasoning summary's live deltas (replication/events.py): they spell the text the finished item's view has —
parts a blank line apart — however Codex announces the parts (before their first delta, not at all, twice)."""

from __future__ import annotations

from typing import Any

from codex_convex.events import REASONING_PART_SEPARATOR, message_view
from codex_convex.host_api.models import IngestEventMessageDelta
from codex_convex.protocol.notifications import decode
from codex_convex.replication import EventMapper

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
