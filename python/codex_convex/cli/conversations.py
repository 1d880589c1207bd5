"""``codex-convex conversations``: the caller's conversations, newest first — each with its id (what ``run
--conversation``, ``stop``, ``resume-goal`` and ``delete`` take), its title or, untitled, its first message, its
status, its sync state and its host (online, or gone since when)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import anyio
import typer

from ._output import console, emit_json, host_label, table

if TYPE_CHECKING:
    from ..host_api.models import Conversation, HostPresence

LABEL_CHARS = 60


def conversations(
    archived: Annotated[bool, typer.Option("--archived", help="Archived ones too.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many, newest first.")] = 25,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Your conversations, newest first: id, title (untitled: its first message), status, sync state, host."""
    rows = anyio.run(_conversations, archived, limit)
    if json_out:
        emit_json([{**c.model_dump(by_alias=True, mode="json"),
                    "host": h.model_dump(by_alias=True, mode="json") if h else None} for c, h in rows])
        return
    if not rows:
        console.print("no conversations yet: codex-convex run \"…\" starts one")
        return
    console.print(table("Conversations", ["id", "title", "status", "sync", "host"], [
        [c.conversation_id, label(c), c.status, c.sync_state, host_label(h)] for c, h in rows]))


def label(c: Conversation) -> str:
    """Its title, else its first message, on one line and cut to LABEL_CHARS."""
    text = " ".join(c.title.split()) if c.title else f"“{c.preview}”" if c.preview else "(untitled)"
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


async def _conversations(archived: bool, limit: int) -> list[tuple[Conversation, HostPresence | None]]:
    from ..convex_api import ConvexHttp
    from ..deployment import resolve_deployment
    from ..host_api import HostApi
    from ..host_api.models import GetConversationSummaryFound, PaginationOpts

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http:
        api = HostApi(http)
        page = await api.list_conversations(include_archived=archived,
                                            pagination_opts=PaginationOpts(num_items=limit, cursor=None))
        out: list[tuple[Conversation, HostPresence | None]] = []
        for c in page.page:
            summary = await api.get_conversation_summary(conversation_id=c.conversation_id)
            out.append((c, summary.host if isinstance(summary, GetConversationSummaryFound) else None))
        return out
