"""watch_conversation's merge of the view and the streaming text (two subscriptions): as a message ends, the text's
subscription can drop it a moment before the view shows it ended; the snapshot then keeps the text it last showed,
never a blank message."""

from __future__ import annotations

from typing import Any

from codex_convex.host_api.models import ListStreamingMessagesResult, Message
from codex_convex.runtime.watch import _with_live_text, live_texts


def message(item: str, status: str, text: str = "") -> Message:
    return Message.model_validate({
        "threadId": "th", "turnId": "t1", "itemId": item, "turnOrdinal": 0, "itemOrdinal": 1, "role": "assistant",
        "kind": "agentMessage", "status": status, "text": text, "summary": None, "deltaCount": 0, "textBytes": 0,
        "textTruncated": False, "createdAt": 0, "updatedAt": 0})


def live(item: str, text: str) -> ListStreamingMessagesResult:
    return ListStreamingMessagesResult.model_validate(
        {"threadId": "th", "turnId": "t1", "itemId": item, "text": text, "nextSegment": None})


def shown(view: list[Message], texts: dict[tuple[str, str], Any]) -> list[str]:
    return [_with_live_text(m, texts.get((m.turn_id, m.item_id))).text for m in view]


def test_a_message_dropped_by_the_text_subscription_before_the_view_keeps_its_text() -> None:
    view = [message("a", "streaming"), message("b", "streaming")]
    texts = live_texts(view, [live("a", "Hello, wor"), live("b", "thinking")], {})
    assert shown(view, texts) == ["Hello, wor", "thinking"]
    # "a" ended: the streaming list no longer has it, the view (a subscription of its own) not yet updated
    texts = live_texts(view, [live("b", "thinking more")], texts)
    assert shown(view, texts) == ["Hello, wor", "thinking more"]
    # the view's next result: "a" completed with its final text, which wins; its kept text is forgotten
    view = [message("a", "completed", "Hello, world!"), message("b", "streaming")]
    texts = live_texts(view, [live("b", "thinking more")], texts)
    assert shown(view, texts) == ["Hello, world!", "thinking more"] and set(texts) == {("t1", "b")}


def test_a_streaming_message_never_listed_shows_the_view_s_text() -> None:
    view = [message("c", "streaming")]
    assert shown(view, live_texts(view, [], {})) == [""]
