"""``codex-convex approvals``: the pending approvals (and other server requests) of your conversations, with
whether the host that asked is still there; ``approvals answer`` accepts or declines one from the terminal."""

from __future__ import annotations

from typing import Annotated

import anyio
import typer

from ._output import ExitCode, console, emit_json, failure, host_label, success, table

app = typer.Typer(help="Pending approvals: list them (with their host's presence) and answer them.",
                  no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json")]


@app.command("list")
def list_(
    conversation: Annotated[str | None, typer.Option(help="Only this conversation (else your 25 newest).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Pending requests, oldest first, each with its conversation's host: online, or gone since when."""
    anyio.run(_list, conversation, json_out)


async def _list(conversation: str | None, json_out: bool) -> None:
    from ..convex_api import ConvexHttp
    from ..deployment import resolve_deployment
    from ..host_api import HostApi
    from ..host_api.models import GetConversationSummaryFound, PaginationOpts

    dep = resolve_deployment()
    rows = []
    async with ConvexHttp(dep.url, token=dep.tokens) as http:
        api = HostApi(http)
        if conversation is not None:
            ids = [conversation]
        else:
            page = await api.list_conversations(pagination_opts=PaginationOpts(num_items=25, cursor=None))
            ids = [c.conversation_id for c in page.page]
        for cid in ids:
            pending = await api.list_pending_server_requests(conversation_id=cid)
            if not pending:
                continue
            summary = await api.get_conversation_summary(conversation_id=cid)
            host = summary.host if isinstance(summary, GetConversationSummaryFound) else None
            for r in pending:
                rows.append((r, host))
    if json_out:
        emit_json([{**r.model_dump(by_alias=True, mode="json"),
                    "host": h.model_dump(by_alias=True, mode="json") if h else None} for r, h in rows])
        return
    console.print(table("Pending requests", ["conversation", "thread", "turn", "request", "method", "host"], [
        [r.conversation_id, r.thread_id, r.turn_id, r.request_id, r.method,
         host_label(h) + ("" if h is None or h.online else ": cannot be answered")] for r, h in rows]))


@app.command("answer")
def answer(
    thread_id: Annotated[str, typer.Argument()],
    turn_id: Annotated[str, typer.Argument()],
    request_id: Annotated[str, typer.Argument()],
    accept: Annotated[bool, typer.Option("--accept/--decline", help="Accept or decline the request.")],
    json_out: JsonOpt = False,
) -> None:
    """Answer a pending approval (the first answer from any client wins)."""
    anyio.run(_answer, thread_id, turn_id, request_id, accept, json_out)


async def _answer(thread_id: str, turn_id: str, request_id: str, accept: bool, json_out: bool) -> None:
    from ..convex_api import ConvexHttp
    from ..deployment import resolve_deployment
    from ..errors import ConvexApiError
    from ..host_api import HostApi

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http:
        try:
            stored = await HostApi(http).respond_server_request(
                thread_id=thread_id, turn_id=turn_id, request_id=request_id, decision="accept" if accept else "decline")
        except ConvexApiError as exc:
            if json_out:
                emit_json({"error": {"code": exc.code, "message": exc.message}})
            else:
                failure(str(exc))
            raise typer.Exit(ExitCode.FAILED) from exc
    if json_out:
        emit_json(stored)
    else:
        success(f"{stored.method} {request_id}: {'accepted' if accept else 'declined'}")
