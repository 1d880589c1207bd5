"""JSON-RPC over JSON lines with the Codex app-server (no ``"jsonrpc"`` field on this wire).

One reader task handles lines strictly in the order Codex wrote them: responses wake their callers, notifications
go to an unbounded in-order stream (bounded would deadlock a caller awaiting a response behind a full stream),
server requests run in their own tasks so a slow approval never stalls the stream. Every request has a deadline.
A garbage line is reported to ``on_protocol_error`` and skipped; a closed transport fails every pending call.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import structlog
from anyio.abc import TaskGroup
from pydantic import JsonValue

from ..errors import CodexError, JsonRpcError, RpcTimeoutError, TransportClosedError
from .transport import Transport

log = structlog.get_logger("codex_convex.codex")

DEFAULT_RPC_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Notification:
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ServerRequest:
    id: int | str
    method: str
    params: dict[str, Any]


# A JSON object as Codex sends it (a request's params or result, a thread as ``thread/read`` gives it).
JsonObject = dict[str, JsonValue]

# Answers a raw JSON-RPC request from Codex (the runtime wraps it: ``runtime.config.ServerRequestHandler``).
RpcRequestHandler = Callable[[ServerRequest], Awaitable[Any]]
ProtocolErrorHandler = Callable[[str], None]


class _Pending:
    __slots__ = ("error", "event", "result")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class RpcClient:
    """Talks to one app-server over a :class:`Transport`; use ``async with``."""

    def __init__(self, transport: Transport, *, on_server_request: RpcRequestHandler | None = None,
                 on_protocol_error: ProtocolErrorHandler | None = None,
                 default_timeout_s: float = DEFAULT_RPC_TIMEOUT_S) -> None:
        self._transport = transport
        self._on_server_request = on_server_request
        self._on_protocol_error = on_protocol_error
        self._timeout = default_timeout_s
        self._next_id = 0
        self._pending: dict[int, _Pending] = {}
        self._notify_send, self._notify_receive = anyio.create_memory_object_stream[Notification](math.inf)
        self._tg: TaskGroup | None = None
        self.closed = anyio.Event()
        self.close_reason: str | None = None

    async def __aenter__(self) -> RpcClient:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._read_loop)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._tg is not None
        self._tg.cancel_scope.cancel()
        await self._tg.__aexit__(None, None, None)
        self._fail_pending("client closed")

    async def request(self, method: str, params: dict[str, Any] | None = None, *,
                      timeout_s: float | None = None) -> Any:
        """Send a request and wait for its result.

        :raises JsonRpcError: Codex answered with an error.
        :raises RpcTimeoutError: no answer within ``timeout_s`` (default :data:`DEFAULT_RPC_TIMEOUT_S`).
        :raises TransportClosedError: the process went away.
        """
        if self.closed.is_set():
            raise TransportClosedError(f"cannot call {method}: {self.close_reason}")
        rid = self._next_id
        self._next_id += 1
        pending = _Pending()
        self._pending[rid] = pending
        msg: dict[str, Any] = {"id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        try:
            await self._transport.send(json.dumps(msg).encode())
            deadline = self._timeout if timeout_s is None else timeout_s
            with anyio.move_on_after(deadline) as scope:
                await pending.event.wait()
            if scope.cancelled_caught:
                raise RpcTimeoutError(f"{method} got no answer within {deadline:g} s", data={"method": method})
        finally:
            self._pending.pop(rid, None)
        if pending.error is not None:
            raise pending.error
        return pending.result

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        msg: dict[str, Any] = {"method": method}
        if params is not None:
            msg["params"] = params
        await self._transport.send(json.dumps(msg).encode())

    async def notifications(self) -> AsyncIterator[Notification]:
        """Every notification in the order Codex sent them; ends when the transport closes."""
        async with self._notify_receive.clone() as stream:
            async for n in stream:
                yield n

    async def next_notification(self) -> Notification:
        """The next notification. :raises TransportClosedError: when the stream ended."""
        try:
            return await self._notify_receive.receive()
        except anyio.EndOfStream as exc:
            raise TransportClosedError(self.close_reason or "closed") from exc

    def _fail_pending(self, reason: str) -> None:
        for p in list(self._pending.values()):
            if not p.event.is_set():
                p.error = TransportClosedError(reason)
                p.event.set()

    async def _read_loop(self) -> None:
        try:
            while True:
                line = await self._transport.receive()
                self._handle_line(line)
        except TransportClosedError as exc:
            code = self._transport.exit_code
            self.close_reason = f"{exc.message} (exit code {code})" if code is not None else exc.message
        finally:
            self.closed.set()
            self._fail_pending(self.close_reason or "closed")
            self._notify_send.close()

    def _handle_line(self, line: bytes) -> None:
        try:
            msg = json.loads(line)
            if not isinstance(msg, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as exc:
            text = line[:200].decode("utf-8", "replace")
            log.warning("codex.protocol_error", line=text, error=str(exc))
            if self._on_protocol_error is not None:
                self._on_protocol_error(f"unparseable line from Codex: {text!r}")
            return
        if "method" in msg and "id" in msg:
            req = ServerRequest(msg["id"], msg["method"], msg.get("params") or {})
            assert self._tg is not None
            self._tg.start_soon(self._answer, req)
        elif "method" in msg:
            self._notify_send.send_nowait(Notification(msg["method"], msg.get("params") or {}))
        elif "id" in msg:
            pending = self._pending.get(msg["id"])
            if pending is None:
                log.warning("codex.unexpected_response", id=msg["id"])
                return
            if "error" in msg and msg["error"] is not None:
                err = msg["error"]
                pending.error = JsonRpcError(int(err.get("code", -1)), str(err.get("message", "")), err.get("data"))
            else:
                pending.result = msg.get("result")
            pending.event.set()
        elif self._on_protocol_error is not None:
            self._on_protocol_error(f"line with neither method nor id: {line[:200]!r}")

    async def _answer(self, req: ServerRequest) -> None:
        if self._on_server_request is None:
            reply: dict[str, Any] = {"id": req.id, "error": {"code": -32601, "message": "no handler"}}
        else:
            try:
                result = await self._on_server_request(req)
                reply = {"id": req.id, "result": result}
            except CodexError as exc:
                reply = {"id": req.id, "error": {"code": -32603, "message": str(exc)}}
            except Exception as exc:  # a handler bug must still answer, or Codex waits forever
                log.exception("codex.server_request_handler_failed", method=req.method)
                reply = {"id": req.id, "error": {"code": -32603, "message": f"handler failed: {exc}"}}
        try:
            await self._transport.send(json.dumps(reply).encode())
        except TransportClosedError:
            log.warning("codex.reply_after_close", method=req.method)
