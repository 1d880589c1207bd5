"""A fake Codex app-server for the host's unit tests: it replays what the pinned Codex sent in a recorded session
(``fixtures/codex_session.json``) over an in-memory transport, so the host's parts run against real protocol
messages without a process. Knobs make it misbehave the ways the real one can."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from codex_convex.codex import MemoryTransport, RpcClient
from codex_convex.codex.rpc import ProtocolErrorHandler, RpcRequestHandler
from codex_convex.codex.session import AppServer
from codex_convex.runtime import HostConfig

SESSION: dict[str, Any] = json.loads((Path(__file__).parent / "fixtures" / "codex_session.json").read_text())
THREAD_ID: str = SESSION["results"]["thread/start"]["thread"]["id"]
TURN_ID: str = SESSION["results"]["turn/start"]["turn"]["id"]


@dataclass
class FakeCodex:
    stall_turn: bool = False  # never end the turn
    crash_at: str | None = None  # the notification method before which the process "dies"
    garbage_at: str | None = None  # the notification method before which it writes a line that is not JSON
    requests: list[tuple[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)  # what the host answered to server requests
    starts: int = 0

    def opener(self, config: HostConfig, on_server_request: RpcRequestHandler,
               on_protocol_error: ProtocolErrorHandler) -> Any:
        return self._open(on_server_request, on_protocol_error)

    @asynccontextmanager
    async def _open(self, on_server_request: RpcRequestHandler,
                    on_protocol_error: ProtocolErrorHandler) -> AsyncIterator[AppServer]:
        self.starts += 1
        transport = MemoryTransport()
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._serve, transport)
            async with RpcClient(transport, on_server_request=on_server_request,
                                 on_protocol_error=on_protocol_error) as rpc:
                init = await rpc.request("initialize", {"clientInfo": {"name": "test", "version": "0"}})
                yield AppServer(rpc, transport, init)
            tg.cancel_scope.cancel()

    async def _serve(self, t: MemoryTransport) -> None:
        async with anyio.create_task_group() as tg:  # a turn streams on while requests and answers come in
            await self._read(t, tg)

    async def _read(self, t: MemoryTransport, tg: anyio.abc.TaskGroup) -> None:
        replies: dict[Any, anyio.Event] = {}
        async for line in t.peer_receive:
            msg = json.loads(line)
            if "method" not in msg:  # the host's answer to a server request
                self.answers.append(msg.get("result", msg.get("error")))
                replies.setdefault(msg["id"], anyio.Event()).set()
                continue
            if "id" not in msg:
                continue  # a notification from the host ("initialized")
            method = msg["method"]
            self.requests.append((method, msg.get("params")))
            known = SESSION["results"]
            result = known.get(method) or (known["thread/start"] if method in ("thread/resume", "thread/fork") else {})
            await t.peer_send.send(json.dumps({"id": msg["id"], "result": result}).encode())
            if method == "turn/start":
                tg.start_soon(self._turn, t, replies)

    async def _turn(self, t: MemoryTransport, replies: dict[Any, anyio.Event]) -> None:
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):  # killed: the stream stops
            await self._stream(t, replies)

    async def _stream(self, t: MemoryTransport, replies: dict[Any, anyio.Event]) -> None:
        for n in SESSION["turn"]:
            if n["method"] == self.crash_at:
                t.kill()
                return
            if n["method"] == self.garbage_at:
                await t.peer_send.send(b"this is not json")
            if n["method"] == "turn/completed" and self.stall_turn:
                return
            if n["method"] == "serverRequest/resolved":  # the approval comes first, and is answered
                req = SESSION["serverRequests"][0]
                await t.peer_send.send(json.dumps({"id": 900, **req}).encode())
                await replies.setdefault(900, anyio.Event()).wait()
            await t.peer_send.send(json.dumps(n).encode())
