"""What one backend takes on at once (issue #17): request bodies being read, sync connections, queries per
connection, running actions. Past each limit a request gets its own code, and everything returns to normal once
the load is gone (the limits are in tools/local-backend/src/capacity.ts)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
import websockets

from codex_convex.backend import LocalBackend
from tests.support import recv, ws_url

pytestmark = [pytest.mark.anyio, pytest.mark.backend]

MiB = 1024 * 1024
MAX_BUFFERED_BODY_BYTES = 64 * MiB
MAX_SYNC_CONNECTIONS = 256
MAX_QUERIES_PER_CONNECTION = 1024
MAX_CONCURRENT_ACTIONS = 64


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("capacity")) as b:
        yield b


def admin(backend: LocalBackend) -> dict[str, str]:
    assert backend.info is not None
    return {"Authorization": f"Convex {backend.info.admin_key}"}


def test_request_bodies_being_read_share_one_budget(backend: LocalBackend) -> None:
    host, port = backend.url.removeprefix("http://").split(":")
    held = []
    for _ in range(MAX_BUFFERED_BODY_BYTES // (20 * MiB)):  # three anonymous 20 MiB uploads, stalled mid-body
        s = socket.create_connection((host, int(port)), timeout=10)
        s.sendall(f"POST /api/mutation HTTP/1.1\r\nhost: x\r\ncontent-length: {20 * MiB}\r\n\r\n{{".encode())
        held.append(s)
    try:
        time.sleep(0.3)
        r = httpx.post(f"{backend.url}/api/mutation", content=b"{" + b" " * (10 * MiB) + b"}", timeout=30)
        assert r.status_code == 429 and r.json()["code"] == "TooManyRequests", r.text
        assert httpx.get(f"{backend.url}/health").status_code == 200  # bodiless requests still go through
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    r = httpx.post(f"{backend.url}/api/query", json={"path": "health:info", "args": {}}, timeout=30)
    assert r.status_code == 200, r.text  # the budget came back when those clients went away


async def test_sync_connections_are_capped(backend: LocalBackend) -> None:
    url = ws_url(backend)
    opened = []
    try:
        for _ in range(MAX_SYNC_CONNECTIONS):
            opened.append(await websockets.connect(url))
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url)
        assert refused.value.response.status_code == 503
        assert json.loads(refused.value.response.body or b"{}")["code"] == "TooManyConnections"
    finally:
        for ws in opened:
            await ws.close()
    await anyio.sleep(0.3)
    async with websockets.connect(url) as ws:  # room again once they closed
        await ws.send(json.dumps({"type": "Connect", "sessionId": "s", "connectionCount": 0,
                                  "lastCloseReason": "InitialConnect", "clientTs": 0}))


async def test_queries_per_connection_are_capped(backend: LocalBackend) -> None:
    async with websockets.connect(ws_url(backend), max_size=None) as ws:
        adds = [{"type": "Add", "queryId": i, "udfPath": "health:info", "args": [{}]}
                for i in range(MAX_QUERIES_PER_CONNECTION)]
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": adds}))
        assert len((await recv(ws, 60))["modifications"]) == MAX_QUERIES_PER_CONNECTION
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 1, "newVersion": 2, "modifications": [
            {"type": "Add", "queryId": MAX_QUERIES_PER_CONNECTION, "udfPath": "health:info", "args": [{}]}]}))
        fatal = await recv(ws, 30)
        assert fatal["type"] == "FatalError" and "TooManyQueries" in fatal["error"]


async def test_running_actions_are_capped(backend: LocalBackend) -> None:
    results: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=backend.url, headers=admin(backend), timeout=60,
                                 limits=httpx.Limits(max_connections=200)) as http:
        async def sleep(ms: int) -> None:
            results.append(await http.post("/api/action", json={"path": "_probes/limits:sleep", "args": {"ms": ms}}))

        async with anyio.create_task_group() as tg:
            for _ in range(MAX_CONCURRENT_ACTIONS):
                tg.start_soon(sleep, 3000)
            await anyio.sleep(1.0)
            extra = await http.post("/api/action", json={"path": "_probes/limits:sleep", "args": {"ms": 0}})
            assert extra.status_code == 429 and extra.json()["code"] == "TooManyConcurrentActions", extra.text
        assert [r.status_code for r in results] == [200] * MAX_CONCURRENT_ACTIONS
        after = await http.post("/api/action", json={"path": "_probes/limits:sleep", "args": {"ms": 0}})
        assert after.status_code == 200
