"""Approvals from the terminal — the second client of the README story, usable from another terminal or machine:
``codex-convex approvals [--conversation ID] [--watch] [--json]`` lists pending requests (live with ``--watch``),
each with whether the host that asked is still there; ``codex-convex approve|decline ID`` answers one through Convex
(the first answer from any client wins), ``codex-convex answer ID TEXT`` a question Codex asks (plan mode's
``request_user_input``). ``ID`` is the listing's ``thread/turn/request``, or the bare request id when only one
pending request has it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer

from ..errors import CodexConvexError
from ._output import console, emit_json, host_label, success, table

if TYPE_CHECKING:
    from ..host_api import HostApi
    from ..host_api.models import HostPresence, ServerRequest
    from ..runtime import ServerRequestInfo

JsonOpt = Annotated[bool, typer.Option("--json")]
ConversationOpt = Annotated[str | None, typer.Option(help="Only this conversation (else your 25 newest).")]
RECENT = 25


def request_key(r: ServerRequest | ServerRequestInfo) -> str:
    """The id ``approve``/``decline`` take: thread, turn and request (a request id alone is per thread)."""
    return f"{r.thread_id}/{r.turn_id}/{r.request_id}"


async def _conversation_ids(api: HostApi, conversation: str | None) -> list[str]:
    from ..host_api.models import PaginationOpts

    if conversation is not None:
        return [conversation]
    page = await api.list_conversations(pagination_opts=PaginationOpts(num_items=RECENT, cursor=None))
    return [c.conversation_id for c in page.page]


async def pending(api: HostApi, conversation: str | None) -> list[tuple[ServerRequest, HostPresence | None]]:
    """Pending requests, oldest first, each with its conversation's host."""
    from ..host_api.models import GetConversationSummaryFound

    rows: dict[str, tuple[ServerRequest, HostPresence | None]] = {}
    for cid in await _conversation_ids(api, conversation):
        requests = await api.list_pending_server_requests(conversation_id=cid)
        if not requests:
            continue
        summary = await api.get_conversation_summary(conversation_id=cid)
        host = summary.host if isinstance(summary, GetConversationSummaryFound) else None
        # a sub-agent's requests are listed with its parent's too: each once
        rows.update({request_key(r): (r, host) for r in requests if request_key(r) not in rows})
    return sorted(rows.values(), key=lambda rh: rh[0].created_at)


def _show(rows: list[tuple[ServerRequest, HostPresence | None]], json_out: bool) -> None:
    if json_out:
        emit_json([{**r.model_dump(by_alias=True, mode="json"), "id": request_key(r),
                    "host": h.model_dump(by_alias=True, mode="json") if h else None} for r, h in rows])
        return
    if not rows:
        console.print("no pending approvals")
        return
    console.print(table("Pending requests", ["id", "conversation", "method", "host"], [
        [request_key(r), r.conversation_id, r.method,
         host_label(h) + ("" if h is None or h.online else ": cannot be answered")] for r, h in rows]))
    console.print("answer one: codex-convex approve ID   (or: codex-convex decline ID; a question: "
                  "codex-convex answer ID TEXT)")


def approvals(conversation: ConversationOpt = None,
              watch: Annotated[bool, typer.Option("--watch", help="Keep listing as requests come and go "
                                                  "(Ctrl-C to stop).")] = False,
              json_out: JsonOpt = False) -> None:
    """Pending approvals (oldest first), each with its conversation's host: online, or gone since when."""
    anyio.run(_approvals, conversation, watch, json_out)


async def _approvals(conversation: str | None, watch: bool, json_out: bool) -> None:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..host_api import HostApi, HostSubscriptions

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http:
        api = HostApi(http)
        rows = await pending(api, conversation)
        _show(rows, json_out)
        if not watch:
            return
        shown = [request_key(r) for r, _ in rows]
        changed = anyio.Event()
        async with Subscriber(dep.url, token=dep.tokens, http=http) as subscriber, anyio.create_task_group() as tg:
            subs = HostSubscriptions(subscriber)

            async def follow(cid: str) -> None:
                async for _ in subs.list_pending_server_requests(conversation_id=cid):
                    changed.set()

            for cid in await _conversation_ids(api, conversation):
                tg.start_soon(follow, cid)
            while True:
                await changed.wait()
                changed = anyio.Event()
                rows = await pending(api, conversation)
                if [request_key(r) for r, _ in rows] != shown:  # only a listing that differs from the last one
                    shown = [request_key(r) for r, _ in rows]
                    _show(rows, json_out)


async def _find(api: HostApi, key: str) -> ServerRequest:
    """The pending request ``key`` names (``thread/turn/request``, or a request id only one pending request has)."""
    parts = key.split("/")
    if len(parts) == 3:
        got = await api.get_server_request(thread_id=parts[0], turn_id=parts[1], request_id=parts[2])
        if got is not None:
            return got
    else:
        matches = [r for r, _ in await pending(api, None) if r.request_id == key]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise CodexConvexError(f"{len(matches)} pending requests have id {key}: give one of "
                                   + ", ".join(request_key(r) for r in matches), code="E_CLI_REQUEST_AMBIGUOUS")
    raise CodexConvexError(f"no request {key} (see codex-convex approvals)", code="E_CLI_REQUEST_UNKNOWN")


def _answer_command(decision: str) -> Any:
    def command(request: Annotated[str, typer.Argument(help="The request's id from codex-convex approvals.")],
                json_out: JsonOpt = False) -> None:
        anyio.run(_answer, request, decision, json_out)

    command.__doc__ = f"{decision.capitalize()} a pending approval (the first answer from any client wins)."
    return command


async def _answer(key: str, decision: str, json_out: bool) -> None:
    from ..convex_api import ConvexHttp
    from ..deployment import resolve_deployment
    from ..host_api import HostApi
    from ..runtime.questions import QUESTION_METHOD

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http:
        api = HostApi(http)
        r = await _find(api, key)
        if r.method == QUESTION_METHOD:
            raise CodexConvexError(f"{key} is a question Codex asks, not an approval: codex-convex answer {key} TEXT",
                                   code="E_CLI_NOT_AN_APPROVAL")
        stored = await api.respond_server_request(thread_id=r.thread_id, turn_id=r.turn_id, request_id=r.request_id,
                                                  decision="accept" if decision == "approve" else "decline")
    if json_out:
        emit_json(stored)
    else:
        success(f"{stored.method} {request_key(stored)}: {'accepted' if decision == 'approve' else 'declined'}")


approve = _answer_command("approve")
decline = _answer_command("decline")


def answer(request: Annotated[str, typer.Argument(help="The question's id from codex-convex approvals.")],
           given: Annotated[list[str], typer.Argument(
               metavar="ANSWER...", help="The answer: one of the question's options, or your own words where it allows "
               "them; with several questions, QUESTION_ID=ANSWER for each.")],
           json_out: JsonOpt = False) -> None:
    """Answer a question Codex asks (plan mode's request_user_input; the first answer from any client wins)."""
    anyio.run(_answer_question, request, given, json_out)


async def _answer_question(key: str, given: list[str], json_out: bool) -> None:
    from ..convex_api import ConvexHttp
    from ..deployment import resolve_deployment
    from ..host_api import HostApi
    from ..runtime.questions import QUESTION_METHOD, answers_response, questions_of

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http:
        api = HostApi(http)
        r = await _find(api, key)
        if r.method != QUESTION_METHOD:
            raise CodexConvexError(f"{key} is {r.method}, not a question: codex-convex approve {key} (or decline)",
                                   code="E_CLI_NOT_A_QUESTION")
        questions = questions_of(json.loads(r.params_json))
        if len(questions) == 1 and not any(g.startswith(f"{questions[0].id}=") for g in given):
            by_id = {questions[0].id: " ".join(given)}  # the words of one answer
        else:
            pairs = [g.partition("=") for g in given]
            if any(not sep for _, sep, _ in pairs):
                raise CodexConvexError(f"{len(questions)} questions: give QUESTION_ID=ANSWER for each "
                                       f"({', '.join(q.id for q in questions)})", code="E_QUESTION_BAD_ANSWERS")
            by_id = {qid: text for qid, _, text in pairs}
        response = answers_response(questions, by_id)
        stored = await api.respond_server_request(thread_id=r.thread_id, turn_id=r.turn_id, request_id=r.request_id,
                                                  response_json=json.dumps(response))
    if json_out:
        emit_json(stored)
    else:
        success(f"{request_key(stored)}: answered "
                + "; ".join(f"{q.id}: {response['answers'][q.id]['answers'][0]}" for q in questions))
