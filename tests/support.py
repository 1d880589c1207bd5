"""Helpers shared by tests: reading back what was persisted, Codex's own record to compare with, the sync
protocol at the frame level, and answers lost on the way."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from codex_convex.backend import LocalBackend
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi, HostSubscriptions
from codex_convex.host_api.models import ClientMessage, Message, PaginationOpts
from codex_convex.host_api.reads import message_text, turn_items
from codex_convex.runtime import CodexHost, HostConfig, OptimisticMessage, watch_conversation

if TYPE_CHECKING:
    from tests.conftest import Deployment


def page_opts(cursor: str | None = None, num_items: int = 100) -> PaginationOpts:
    return PaginationOpts(num_items=num_items, cursor=cursor)


async def persisted_messages(api: HostApi, conversation_id: str) -> list[Message]:
    """Every persisted message of the conversation with its whole text, oldest first (pages through the
    newest-first list, and through a long message's text)."""
    out: list[Message] = []
    cursor = None
    while True:
        page = await api.list_messages(conversation_id=conversation_id, pagination_opts=page_opts(cursor))
        for m in page.page:
            out.append(m.model_copy(update={"text": await message_text(api, m), "text_truncated": False}))
        if page.is_done:
            return list(reversed(out))
        cursor = page.continue_cursor


def codex_messages(thread: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of each user/agent message and reasoning summary in Codex's own record of the thread."""
    out = []
    for turn in thread["turns"]:
        for it in turn["items"]:
            if it["type"] == "userMessage":
                out.append(("user", "\n".join(c.get("text", "") for c in it["content"] if c.get("text"))))
            elif it["type"] in ("agentMessage", "plan"):  # a plan: plan mode's proposed plan
                out.append(("assistant", it["text"]))
            elif it["type"] == "reasoning":  # its summary, parts a blank line apart
                out.append(("assistant", "\n\n".join(it["summary"])))
    return out


async def persisted_items(api: HostApi, thread_id: str, turn_id: str) -> list[dict[str, Any]]:
    turn, items = await turn_items(api, thread_id, turn_id)
    assert turn is not None
    return [i.item for i in items if i.item is not None]


def conversation_messages(stored: list[Message]) -> list[tuple[str, str]]:
    """(role, text) of the persisted user and assistant messages, comparable with :func:`codex_messages`."""
    return [(m.role, m.text) for m in stored if m.role in ("user", "assistant")]


def ws_url(backend: LocalBackend) -> str:
    """The backend's sync-protocol WebSocket URL."""
    return backend.url.replace("http://", "ws://") + "/api/sync"


async def recv(ws: Any, timeout_s: float = 5) -> dict[str, Any]:
    """The next sync-protocol message from the server that is not a Ping."""
    with anyio.fail_after(timeout_s):
        while True:
            msg: dict[str, Any] = json.loads(await ws.recv())
            if msg["type"] != "Ping":
                return msg


def exported(backend: LocalBackend) -> list[str]:
    """Every stored document of the local backend (its admin export), one JSON line each, sorted: equal lists mean
    equal data."""
    import httpx

    assert backend.info is not None
    r = httpx.get(f"{backend.url}/api/export", headers={"Authorization": f"Convex {backend.info.admin_key}"},
                  timeout=60)
    r.raise_for_status()
    return sorted(r.text.splitlines())


def json_diff(got: Any, want: Any, path: str = "$") -> list[str]:
    """Where two JSON values differ, field by field (paths like ``$.turns[3].items[0].text``)."""
    if isinstance(got, dict) and isinstance(want, dict):
        out = []
        for k in sorted(set(got) | set(want), key=str):
            if k not in got:
                out.append(f"{path}.{k}: missing (want {json.dumps(want[k])[:120]})")
            elif k not in want:
                out.append(f"{path}.{k}: extra {json.dumps(got[k])[:120]}")
            else:
                out += json_diff(got[k], want[k], f"{path}.{k}")
        return out
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return [f"{path}: {len(got)} elements, want {len(want)}"]
        return [d for i, (g, w) in enumerate(zip(got, want, strict=True)) for d in json_diff(g, w, f"{path}[{i}]")]
    if got != want or type(got) is not type(want):
        return [f"{path}: {json.dumps(got)[:120]} != {json.dumps(want)[:120]}"]
    return []


def assert_same_json(got: Any, want: Any) -> None:
    """Canonical-JSON equality, with the differing fields listed on failure."""
    from codex_convex.events import canonical_json

    if canonical_json(got) != canonical_json(want):
        diff = json_diff(got, want)
        raise AssertionError(f"{len(diff)} fields differ:\n" + "\n".join(diff[:40]))


def first_json_document(proc: subprocess.Popen[str]) -> Any:
    """The JSON document a serving command (``codex-convex ui --json``) prints before it serves: read up to its
    closing ``}`` line (``emit_json`` indents), without waiting for the process to end."""
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "}":
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "no output"
        lines.append(line.rstrip("\n"))
    return json.loads("\n".join(lines))


# A 1×1 PNG: an image for the scripted model's VIEW (Codex's view_image reads it from the working folder).
DOT_PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63fc"
                        "cfc0f01f00050502005fc8f1d20000000049454e44ae426082")


class LosingAnswers(httpx.AsyncBaseTransport):
    """An HTTP transport that delivers every call to the deployment but loses the answers of the first ``lose[path]``
    calls of each path (``httpx.ReadError`` after the deployment ran them), as a dropped connection does.
    ``sent`` lists each call that reached the deployment: its path and arguments."""

    def __init__(self, lose: dict[str, int]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose = dict(lose)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._more = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        call = json.loads(request.content)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.sent.append((call["path"], call["args"]))
        self._more.set()
        self._more = anyio.Event()
        if self.lose.get(call["path"], 0) > 0:
            self.lose[call["path"]] -= 1
            await response.aclose()
            raise httpx.ReadError("the answer was lost on the way", request=request)
        return response

    def args_of(self, path: str) -> list[dict[str, Any]]:
        return [args for p, args in self.sent if p == path]

    async def sent_at_least(self, path: str, n: int) -> None:
        """Until `n` calls of `path` reached the deployment and their answers came back (or were lost): a
        subscription may show a write before its writer has the answer."""
        while len(self.args_of(path)) < n:
            await self._more.wait()

    async def aclose(self) -> None:
        await self.inner.aclose()


def losing_api(url: str, token: str, lose: dict[str, int]) -> tuple[HostApi, LosingAnswers]:
    """A HostApi whose answers of the first ``lose[path]`` calls of each path are lost (:class:`LosingAnswers`)."""
    transport = LosingAnswers(lose)
    return HostApi(ConvexHttp(url, token=token, client=httpx.AsyncClient(transport=transport))), transport


async def pending_approval(api: HostApi, thread_id: str, turn_id: str = "t1", request_id: str = "7") -> str:
    """A conversation bound to `thread_id` whose turn waits on a command approval, as the host records one (the turn's
    start and Codex's server request, ingested): its conversation id."""
    conversation = (await api.sync_open_conversation_binding(thread_id=thread_id)).conversation.conversation_id
    await api.http.mutation("chat:ingestEvents", {"conversationId": conversation, "streamId": "host", "seq": 0,
                                                  "events": [
        {"type": "turnStarted", "threadId": thread_id, "turnId": turn_id, "at": 1.0},
        {"type": "serverRequest", "threadId": thread_id, "turnId": turn_id, "requestId": request_id,
         "method": "item/commandExecution/requestApproval", "paramsJson": "{}", "at": 1.0}]})
    return conversation


async def send_watched(host_config: HostConfig, deployment: Deployment, prompt: str, kind: str,
                       **send: Any) -> tuple[str, Any, dict[str, Any], list[tuple[str, str]]]:
    """Send ``prompt`` (with ``send``'s keywords) in a new conversation while a second client watches its view:
    (conversation id, the turn's result, Codex's thread, each distinct (status, text) the watcher saw of the message
    of ``kind`` until it completed)."""
    states: list[tuple[str, str]] = []
    watcher = Subscriber(deployment.url, token=deployment.alice)
    done = anyio.Event()
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()

        async def watch() -> None:  # as a client sees it: the view, and a streaming message's own segments
            async for snapshot in watch_conversation(watcher, cid, page_size=5):
                for m in snapshot.messages:
                    if isinstance(m, OptimisticMessage) or m.kind != kind:
                        continue
                    if not states or states[-1] != (m.status, m.text):
                        states.append((m.status, m.text))
                if states and states[-1][0] == "completed":
                    done.set()
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            await anyio.sleep(0.3)
            result = await host.send(prompt, **send)
            with anyio.fail_after(10):
                await done.wait()
        thread = (await host.read_thread())["thread"]
    watcher.close()
    return cid, result, thread, states


async def taken(deployment: Deployment, message_id: str) -> ClientMessage:
    """The message once its host has handled it, as another client's subscription sees it."""
    async with Subscriber(deployment.url, token=deployment.alice) as watcher:
        with anyio.fail_after(30):
            async for m in HostSubscriptions(watcher).get_client_message(message_id=message_id):
                if m is not None and m.state not in ("queued", "taking"):
                    return m
    raise AssertionError("unreachable")
