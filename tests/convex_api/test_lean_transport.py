"""The lean HTTP/1.1 transport ConvexHttp uses for http:// deployments, against a real socket server: keep-alive
reuse, the three ways a response body ends, a connection the server closed or that sat idle too long, and httpx's
errors where a request could not be made (ConvexHttp's retry rules depend on them)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from codex_convex.convex_api import ConvexHttp, transport
from codex_convex.convex_api.http import RETRY_ATTEMPTS
from codex_convex.convex_api.transport import LeanTransport
from codex_convex.errors import ConvexApiError, ConvexTransportError

pytestmark = pytest.mark.anyio

Reply = Callable[[bytes], bytes]


@asynccontextmanager
async def server(reply: Reply, *, close_after: bool = False) -> AsyncIterator[tuple[str, list[int], list[bytes]]]:
    """A server answering each request with reply(request); yields its URL, the connections it accepted and the
    requests it read."""
    accepted: list[int] = []
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(len(accepted))
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = head + await reader.readexactly(length)
                seen.append(request)
                writer.write(reply(request))
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", accepted, seen
    finally:
        srv.close()


def sized(body: bytes) -> bytes:
    return f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body


def echo_path(request: bytes) -> bytes:
    return sized(b'{"path": "' + request.split(b" ")[1] + b'"}')


async def test_requests_reuse_one_keep_alive_connection_and_carry_their_body() -> None:
    async with server(echo_path) as (url, accepted, seen), httpx.AsyncClient(transport=LeanTransport()) as client:
        for i in range(3):
            r = await client.post(f"{url}/api/mutation?i={i}", content=b'{"args": 1}', headers={"x-a": "b"})
            assert r.status_code == 200 and r.json() == {"path": f"/api/mutation?i={i}"}
        assert len(accepted) == 1 and len(seen) == 3
        assert seen[0].endswith(b'\r\n\r\n{"args": 1}') and b"x-a: b" in seen[0] and b"content-length: 11" in seen[0]


async def test_a_chunked_body_and_one_that_ends_with_the_connection() -> None:
    def chunked(_: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=1\r\n, world\r\n0\r\n\r\n"

    async with server(chunked) as (url, accepted, _), httpx.AsyncClient(transport=LeanTransport()) as client:
        assert (await client.get(url)).text == "hello, world"
        assert (await client.get(url)).text == "hello, world" and len(accepted) == 1  # still reusable

    def to_close(_: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end"

    async with server(to_close, close_after=True) as (url, accepted, _), \
            httpx.AsyncClient(transport=LeanTransport()) as client:
        assert (await client.get(url)).text == "until the end"
        assert (await client.get(url)).text == "until the end" and len(accepted) == 2  # not reused


async def test_a_connection_the_server_closed_or_idle_too_long_is_not_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    async with server(echo_path, close_after=True) as (url, accepted, _), \
            httpx.AsyncClient(transport=LeanTransport()) as client:
        for _ in range(3):  # the server closes each after answering (keep-alive was not refused: it just closed)
            assert (await client.get(url)).status_code == 200
            await asyncio.sleep(0.05)  # its FIN arrives
        assert len(accepted) == 3
    monkeypatch.setattr(transport, "IDLE_S", 0.05)
    async with server(echo_path) as (url, accepted, _), httpx.AsyncClient(transport=LeanTransport()) as client:
        await client.get(url)
        await asyncio.sleep(0.1)
        await client.get(url)
        assert len(accepted) == 2


async def test_errors_are_httpx_s_where_nothing_could_be_sent_or_nothing_came_back() -> None:
    async with server(echo_path) as (url, _, _):
        pass  # closed: nothing listens there now
    async with httpx.AsyncClient(transport=LeanTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url)

    async with server(lambda _: b"") as (url, _, _), httpx.AsyncClient(transport=LeanTransport(), timeout=0.2) as c:
        with pytest.raises(httpx.ReadTimeout):
            await c.get(url)

    async with server(lambda _: b"SSH-2.0-OpenSSH\r\n\r\n") as (url, _, _), \
            httpx.AsyncClient(transport=LeanTransport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(url)


async def test_convex_http_on_plain_http_speaks_the_wire_itself_with_its_retry_rules() -> None:
    """ConvexHttp calls an http:// deployment straight through the lean transport (no httpx client): the request as
    Convex takes it (its path under the URL's, Host, token, JSON body), the answer decoded; an answer that never came
    is retried for a repeatable mutation and not for another (it may have run)."""
    def success(_: bytes) -> bytes:
        return sized(b'{"status": "success", "value": {"n": 7}}')

    async with server(success) as (url, accepted, seen), ConvexHttp(f"{url}/base/", token="tok") as http:
        assert http._client is None
        assert await http.mutation("chat:x", {"a": 1}) == {"n": 7}
        assert await http.query("chat:y") == {"n": 7}
        head, _, body = seen[0].partition(b"\r\n\r\n")
        assert head.startswith(b"POST /base/api/mutation HTTP/1.1\r\n")
        assert f"Host: {url.removeprefix('http://')}".encode() in head and b"Authorization: Bearer tok" in head
        assert json.loads(body) == {"path": "chat:x", "args": {"a": 1}, "format": "convex_encoded_json"}
        assert seen[1].startswith(b"POST /base/api/query ") and len(accepted) == 1

    async with server(lambda _: b"") as (url, _, seen), ConvexHttp(url, timeout_s=0.2) as http:
        with pytest.raises(ConvexTransportError):
            await http.mutation("chat:x", {})
        assert len(seen) == 1  # it may have run: not sent again
        with pytest.raises(ConvexTransportError):
            await http.mutation("chat:x", {}, repeatable=True)
        assert len(seen) == 1 + RETRY_ATTEMPTS

    answers = iter([b"", sized(b'{"status": "success", "value": 1}')])  # the first answer lost, then one comes
    async with server(lambda _: next(answers)) as (url, _, seen), ConvexHttp(url, timeout_s=0.2) as http:
        started = time.monotonic()
        assert await http.mutation("chat:x", {}, repeatable=True) == 1
        assert len(seen) == 2 and time.monotonic() - started >= 0.05  # sent again after the backoff's first wait

    async with server(lambda _: sized(b'{"code": "BadJson", "message": "no"}').replace(b"200 OK", b"400 Bad")) \
            as (url, _, _), ConvexHttp(url) as http:
        with pytest.raises(ConvexApiError, match="BadJson: no") as err:
            await http.query("chat:y")
        assert err.value.code == "E_CONVEX_HTTP"
