"""The demo behind ``codex-convex demo`` (the README's main job).

On the embedded defaults (the local backend and the scripted model; nothing leaves 127.0.0.1) or, with
``CONVEX_URL``/``CONVEX_TOKEN`` set, against a real deployment:

1. live turns replicated into Convex: a streamed answer, a command whose approval is answered *through Convex*
   by a second client (as a web UI would), and a file change; then two turns in Codex's plan mode: a question the
   model asks, answered through Convex the same way, and a proposed plan streamed live;
2. an existing local thread (made first in codex-only mode) imported through a durable sync source;
3. what is now in Convex, read back over the same API.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from .codex import write_scripted_home
from .convex_api import ConvexHttp, Subscriber
from .errors import CodexConvexError
from .host_api import HostApi, HostSubscriptions
from .host_api.models import NotFound
from .protocol import host_models as codex
from .runtime import CodexHost, Decision, HostConfig, HostMode, ServerRequestInfo
from .runtime.live_text import LiveText
from .runtime.questions import QUESTION_METHOD, answers_response, questions_of
from .scripted_model import ScriptedModelServer
from .sync.importer import Progress

LIVE_PROMPTS = ["THINK a greeting is asked for | keep it short",
                "PLAN greet=completed | write demo.txt=in_progress | add notes.md", "SEARCH convex components",
                "RUN echo hi > demo.txt", "PATCH notes.md written by Codex",
                "AGENT RUN echo from a sub-agent > agent.txt"]
# Turns in Codex's plan mode (send(..., plan=True)): a question the second client answers, then a proposed plan.
PLAN_PROMPTS = ["ASK which file first? | demo.txt | notes.md", "PROPOSE update demo.txt | give notes.md a heading"]
# A /review of what the turns changed (the scripted model answers as Codex's reviewer does: JSON with a finding).
REVIEW = "REVIEW demo.txt and notes.md are written as asked | notes.md has no heading @ notes.md:1"
LOCAL_PROMPTS = ["an older local conversation", "RUN ls", "what did we do?"]
# What a second client (the page's composer) sends the host: it runs as a turn of the live conversation.
CLIENT_MESSAGE = "SAY hello from another client"


@dataclass
class DemoReport:
    url: str
    local_backend: bool
    page_url: str = ""  # the conversation page (codex-convex ui) on this deployment, while the demo runs
    live_conversation: str = ""
    imported_conversation: str = ""
    turns: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] = field(default_factory=dict)
    client_turn: dict[str, Any] = field(default_factory=dict)  # the turn a second client's message started
    approvals: list[dict[str, Any]] = field(default_factory=list)
    import_result: dict[str, Any] = field(default_factory=dict)
    conversations: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def _page(url: str, token: str, local: bool) -> Iterator[str]:
    """The conversation page on the demo's deployment (its URL), served while the demo runs."""
    from .web import PageConfig, PageServer

    with PageServer(PageConfig(url, token, local, "demo-user" if local else None)) as page:
        yield page.url


@contextlib.contextmanager
def _deployment(tmp: Path) -> Iterator[tuple[str, str, bool]]:
    url = os.environ.get("CONVEX_URL")
    if url:
        token = os.environ.get("CONVEX_TOKEN")
        if not token:
            raise CodexConvexError("CONVEX_URL is set but CONVEX_TOKEN is not: give the user's JWT",
                                   code="E_CONFIG_NO_TOKEN")
        yield url, token, False
        return
    from .backend import LocalBackend, mint_dev_token

    with LocalBackend(tmp / "backend") as backend:
        yield backend.url, mint_dev_token(backend.data_dir, "demo-user"), True


async def _approver_ui(url: str, token: str, conversation_id: str, report: DemoReport,
                       on_event: Callable[[str], None]) -> None:
    """A second client of the same user, like a web UI: sees pending approvals live and accepts them, and answers
    a question the model asks with its first option."""
    async with ConvexHttp(url, token=token) as http, Subscriber(url, token=token, http=http) as watcher:
        ui = HostApi(http)
        watches = HostSubscriptions(watcher)
        async for pending in watches.list_pending_server_requests(conversation_id=conversation_id):
            for req in pending:
                if req.decision_json is None:
                    whose = " (a sub-agent's)" if req.conversation_id != conversation_id else ""
                    respond = functools.partial(ui.respond_server_request, thread_id=req.thread_id,
                                                turn_id=req.turn_id, request_id=req.request_id)
                    if req.method == QUESTION_METHOD:
                        questions = questions_of(json.loads(req.params_json))
                        picked = {q.id: q.options[0] if q.options else "either" for q in questions}
                        on_event(f"UI client: Codex asks {'; '.join(q.text for q in questions)!r} → "
                                 f"{', '.join(picked.values())}")
                        await respond(response_json=json.dumps(answers_response(questions, picked)))
                    else:
                        on_event(f"UI client: {req.method}{whose} pending in Convex → accept")
                        await respond(decision="accept")
                    report.approvals.append({"method": req.method, "answeredBy": "second Convex client"})


async def _client_sends(url: str, token: str, host: CodexHost, conversation_id: str,
                        on_event: Callable[[str], None]) -> dict[str, Any]:
    """A second client of the same user, like the page's composer, gives the host a message through Convex: the
    host starts a turn with it (Codex is idle). Its status is Codex's own, once the turn has ended."""
    ended = host.turns.ended_count
    async with ConvexHttp(url, token=token) as http:
        client = HostApi(http)
        sent = await client.send_client_message(conversation_id=conversation_id, text=CLIENT_MESSAGE)
        on_event(f"UI client: sends {CLIENT_MESSAGE!r} → the host runs it")
        with anyio.fail_after(120):
            await host.turns.wait_ended(ended)
        taken = await client.get_client_message(message_id=sent.message_id)
    turn_id = taken.turn_id if taken is not None else None
    thread = codex.ThreadReadResponse.model_validate(await host.read_thread()).thread
    status = next((t.status.value for t in thread.turns if t.id == turn_id), None)
    return {"prompt": CLIENT_MESSAGE, "state": taken.state if taken else None, "turnId": turn_id, "status": status}


async def run_demo(on_text: Callable[[str], None] = lambda s: None, on_event: Callable[[str], None] = lambda s: None,
                   on_progress: Progress | None = None,
                   linger: Callable[[DemoReport], Awaitable[None]] | None = None) -> DemoReport:
    """Run the demo; ``linger`` is awaited at the end while the deployment and the page are still up (the CLI waits
    there for Enter when a person is watching)."""
    with ScriptedModelServer() as model, tempfile.TemporaryDirectory(prefix="codex-convex-demo-") as tmp_s:
        tmp = Path(tmp_s)
        home = write_scripted_home(tmp / "codex-home", model.base_url)
        work = tmp / "work"
        work.mkdir()
        with _deployment(tmp) as (url, token, local), _page(url, token, local) as page_url:
            report = DemoReport(url, local, page_url)
            on_event(f"Convex deployment: {url}" + (" (embedded local backend)" if local else ""))
            on_event(f"watch it live in a browser: {page_url}")

            live = LiveText()

            def note(method: str, params: dict[str, Any]) -> None:
                piece = live.piece(method, params)  # the answer, the reasoning summary, a command's output
                if piece is not None:
                    on_text(piece[1])

            # 1. An existing local thread, made without Convex (codex-only), to import later.
            async def accept(info: ServerRequestInfo) -> Decision:
                return "accept"

            local_cfg = HostConfig(codex_home=home, cwd=work, mode=HostMode.CODEX_ONLY, on_server_request=accept)
            async with CodexHost(local_cfg) as host:
                local_thread = await host.new_conversation()
                for p in LOCAL_PROMPTS:
                    await host.send(p)
            on_event(f"made a local thread {local_thread} ({len(LOCAL_PROMPTS)} turns, codex-only)")

            # 2. Live turns, replicated as they happen; approvals answered through Convex.
            cfg = HostConfig(codex_home=home, cwd=work, convex_url=url, token=token, on_notification=note,
                             experimental_api=True)  # plan mode's turns
            async with CodexHost(cfg) as host, anyio.create_task_group() as tg:
                report.live_conversation = await host.new_conversation()
                on_event(f"live conversation {report.live_conversation}")
                tg.start_soon(_approver_ui, url, token, report.live_conversation, report, on_event)
                for p in LIVE_PROMPTS:
                    on_event(f"> {p}")
                    r = await host.send(p)
                    on_text(live.end())
                    report.turns.append({"prompt": p, "status": r.status, "turnId": r.turn_id})
                for p in PLAN_PROMPTS:
                    on_event(f"> (plan mode) {p}")
                    r = await host.send(p, plan=True)
                    on_text(live.end())
                    report.turns.append({"prompt": p, "status": r.status, "turnId": r.turn_id, "plan": True})
                on_event("> /review")
                r = await host.review(instructions=REVIEW)
                on_text(live.end())
                report.review = {"status": r.status, "turnId": r.turn_id, "text": r.text}
                report.client_turn = await _client_sends(url, token, host, report.live_conversation, on_event)
                on_text(live.end())

                # 3. Import the older local thread through a durable sync source.
                on_event(f"importing local thread {local_thread}")
                result = await host.import_local_thread(local_thread, on_progress=on_progress)
                report.imported_conversation = result.conversation_id
                report.import_result = {"state": result.state, "records": result.records, "chunks": result.chunks,
                                        "seconds": round(result.seconds, 3)}
                tg.cancel_scope.cancel()

            # 4. What is in Convex now.
            async with ConvexHttp(url, token=token) as http:
                api = HostApi(http)
                agents = [a.conversation_id for a in
                          await api.list_conversation_agents(conversation_id=report.live_conversation)]
                for cid in (report.live_conversation, *agents, report.imported_conversation):
                    s = await api.get_conversation_summary(conversation_id=cid)
                    if isinstance(s, NotFound):
                        raise CodexConvexError(f"conversation {cid} is gone", code="E_CONVERSATION_NOT_FOUND")
                    report.conversations.append({
                        "conversationId": cid, "threadId": s.conversation.thread_id,
                        "turns": int(s.turn_count), "messages": int(s.message_count),
                        "syncState": s.conversation.sync_state, "tokens": s.total_tokens})
            if linger is not None:
                await linger(report)
            return report
