"""The JSON-RPC layer over an in-memory transport: ordering, deadlines, garbage, server requests, closing."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest

from codex_convex.codex import MemoryTransport, RpcClient, ServerRequest
from codex_convex.errors import JsonRpcError, RpcTimeoutError, TransportClosedError

pytestmark = pytest.mark.anyio


async def _peer_read(t: MemoryTransport) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(await t.peer_receive.receive())
    return data


async def test_response_resolves_the_matching_request() -> None:
    t = MemoryTransport()
    async with RpcClient(t) as rpc, anyio.create_task_group() as tg:
        async def server() -> None:
            a = await _peer_read(t)
            b = await _peer_read(t)
            # answer out of order: ids, not order, match them up
            await t.peer_send.send(json.dumps({"id": b["id"], "result": "B"}).encode())
            await t.peer_send.send(json.dumps({"id": a["id"], "result": "A"}).encode())

        tg.start_soon(server)
        results: dict[str, Any] = {}

        async def call(name: str) -> None:
            results[name] = await rpc.request(name)

        async with anyio.create_task_group() as calls:
            calls.start_soon(call, "a")
            await anyio.sleep(0.01)
            calls.start_soon(call, "b")
    assert results == {"a": "A", "b": "B"}


async def test_error_answer_raises_json_rpc_error() -> None:
    t = MemoryTransport()
    async with RpcClient(t) as rpc:
        await t.peer_send.send(json.dumps({"id": 0, "error": {"code": -32600, "message": "Not initialized"}}).encode())
        with pytest.raises(JsonRpcError) as e:
            await rpc.request("thread/start")
    assert e.value.rpc_code == -32600 and "Not initialized" in e.value.message


async def test_request_without_answer_times_out() -> None:
    async with RpcClient(MemoryTransport()) as rpc:
        with pytest.raises(RpcTimeoutError) as e:
            await rpc.request("hang", timeout_s=0.05)
    assert e.value.code == "E_CODEX_TIMEOUT"


async def test_garbage_line_is_reported_and_later_lines_still_flow() -> None:
    t = MemoryTransport()
    errors: list[str] = []
    async with RpcClient(t, on_protocol_error=errors.append) as rpc:
        await t.peer_send.send(b"this is not json")
        await t.peer_send.send(b'{"method":"turn/started","params":{"n":1}}')
        n = await rpc.next_notification()
    assert n.method == "turn/started" and n.params == {"n": 1}
    assert len(errors) == 1 and "this is not json" in errors[0]


async def test_notifications_keep_their_order() -> None:
    t = MemoryTransport()
    async with RpcClient(t) as rpc:
        for i in range(500):
            await t.peer_send.send(json.dumps({"method": "d", "params": {"i": i}}).encode())
        got = [(await rpc.next_notification()).params["i"] for _ in range(500)]
    assert got == list(range(500))


async def test_server_request_gets_the_handler_result() -> None:
    t = MemoryTransport()

    async def handler(req: ServerRequest) -> dict[str, Any]:
        return {"decision": "decline", "echo": req.params["x"]}

    async with RpcClient(t, on_server_request=handler):
        await t.peer_send.send(json.dumps({"id": 7, "method": "item/x/requestApproval", "params": {"x": 1}}).encode())
        with anyio.fail_after(2):
            reply = await _peer_read(t)
    assert reply == {"id": 7, "result": {"decision": "decline", "echo": 1}}


async def test_failing_handler_still_answers_with_an_error() -> None:
    t = MemoryTransport()

    async def handler(req: ServerRequest) -> dict[str, Any]:
        raise RuntimeError("boom")

    async with RpcClient(t, on_server_request=handler):
        await t.peer_send.send(json.dumps({"id": 1, "method": "m", "params": {}}).encode())
        with anyio.fail_after(2):
            reply = await _peer_read(t)
    assert reply["id"] == 1 and "boom" in reply["error"]["message"]


async def test_closed_transport_fails_pending_calls() -> None:
    t = MemoryTransport()
    async with RpcClient(t) as rpc, anyio.create_task_group() as tg:
        async def close_soon() -> None:
            await anyio.sleep(0.05)
            await t.peer_send.aclose()

        tg.start_soon(close_soon)
        with pytest.raises(TransportClosedError):
            await rpc.request("x", timeout_s=5)
        with pytest.raises(TransportClosedError):
            await rpc.request("y")


async def test_invalid_utf8_is_a_protocol_error_and_the_stream_goes_on() -> None:
    t = MemoryTransport()
    errors: list[str] = []
    async with RpcClient(t, on_protocol_error=errors.append) as rpc:
        await t.peer_send.send(b'{"method":"x","params":{"t":"\xff\xfe"}}')
        await t.peer_send.send(b'{"method":"after","params":{}}')
        n = await rpc.next_notification()
    assert n.method == "after" and len(errors) == 1
