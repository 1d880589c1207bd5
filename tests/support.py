"""Helpers shared by tests: reading back what was persisted, and Codex's own record to compare with."""

from __future__ import annotations

from typing import Any

from codex_convex.host_api import HostApi
from codex_convex.host_api.reads import message_text, turn_items


async def persisted_messages(api: HostApi, conversation_id: str) -> list[dict[str, Any]]:
    """Every persisted message of the conversation with its whole text, oldest first (pages through the
    newest-first list, and through a long message's text)."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await api.list_messages(conversation_id=conversation_id,
                                       pagination_opts={"numItems": 100, "cursor": cursor})
        out += [{**m, "text": await message_text(api, m)} for m in page["page"]]
        if page["isDone"]:
            return list(reversed(out))
        cursor = page["continueCursor"]


def codex_messages(thread: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of each user/agent message in Codex's own record of the thread."""
    out = []
    for turn in thread["turns"]:
        for it in turn["items"]:
            if it["type"] == "userMessage":
                out.append(("user", "\n".join(c.get("text", "") for c in it["content"] if c.get("text"))))
            elif it["type"] == "agentMessage":
                out.append(("assistant", it["text"]))
    return out


async def persisted_items(api: HostApi, thread_id: str, turn_id: str) -> list[dict[str, Any]]:
    turn, items = await turn_items(api, thread_id, turn_id)
    assert turn is not None
    return [i["item"] for i in items]


def conversation_messages(stored: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, text) of the persisted user and assistant messages, comparable with :func:`codex_messages`."""
    return [(m["role"], m["text"]) for m in stored if m["role"] in ("user", "assistant")]
