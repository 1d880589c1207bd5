"""A lean HTTP/1.1 transport for ``http://`` deployments (the local backend, a self-hosted Convex on 127.0.0.1).

httpx (its client: request and response models, cookies, redirects; its transport: anyio streams, h11, the pool's
locks) cost ~1.5 ms of CPU per request on a 2-core box, and twice that when the call comes after an idle spell, as a
live stream's writes do (tools/bench/RESULTS.md, sessions 21 and 25). ConvexHttp calls :meth:`LeanTransport.exchange`
directly (no httpx models per call); it is an httpx transport too. It does the wire itself on asyncio streams: the
request in one write, a response read by its ``content-length`` (or chunked, or to the end of a closing
connection). Keep-alive connections idle longer than IDLE_S are not reused: a server closes them (Node's default
timeout is 5 s), and a request written into one it just closed fails with no way to know whether it ran.
``https://`` stays on httpx's transport (TLS, proxies).

Errors are httpx's: ConnectError/ConnectTimeout (nothing was sent), ReadTimeout (no whole answer in time, the
request's write included), RemoteProtocolError (the server closed, or answered something that is not HTTP/1.1 or
whose head is over the stream's 64 KiB limit).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

IDLE_S = 4.0  # below Node's keepAliveTimeout (5 s): a connection idle longer is closed, not reused
MAX_IDLE = 8  # connections kept per transport (httpx's max_keepalive_connections for ConvexHttp)


@dataclass
class _Conn:
    origin: tuple[str, int]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float) -> bool:
        return now - self.idle_since < IDLE_S and not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


def _timeout(request: httpx.Request, kind: str) -> float | None:
    value = request.extensions.get("timeout", {}).get(kind)
    return float(value) if value is not None else None


class LeanTransport(httpx.AsyncBaseTransport):
    """Plain-http requests on pooled keep-alive connections (see the module)."""

    def __init__(self) -> None:
        self._idle: list[_Conn] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        body = await request.aread()
        headers = [(k, v) for k, v in request.headers.multi_items()
                   if k.lower() not in ("accept-encoding", "content-length", "transfer-encoding")]
        status, response_headers, content = await self.exchange(
            request.method, (url.host, url.port or 80), url.raw_path.decode("ascii"), headers, body,
            connect_s=_timeout(request, "connect"), write_s=_timeout(request, "write"),
            read_s=_timeout(request, "read"))
        return httpx.Response(status, headers=response_headers, content=content, request=request,
                              extensions={"http_version": b"HTTP/1.1"})

    async def exchange(self, method: str, origin: tuple[str, int], target: str, headers: list[tuple[str, str]],
                       body: bytes, *, connect_s: float | None, write_s: float | None,
                       read_s: float | None) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request (`headers` without content-length or transfer-encoding; `body` sent whole), its answer: the
        status, headers and body. ConvexHttp calls this directly for http:// deployments (no httpx.Request or
        Response built per call: the live path's host side, tools/bench/RESULTS.md session 25); errors are httpx's."""
        head = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers)]
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"content-length: {len(body)}")
        wire = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        conn = self._take(origin) or await self._connect(origin, connect_s)
        try:
            conn.writer.write(wire)
            async with asyncio.timeout(write_s):
                await conn.writer.drain()
            async with asyncio.timeout(read_s):
                status, response_headers, content, reusable = await self._read(conn, method == "HEAD")
        except TimeoutError as exc:
            conn.close()
            raise httpx.ReadTimeout(f"no answer from {origin[0]}:{origin[1]} in time") from exc
        except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
            conn.close()
            raise httpx.RemoteProtocolError(f"{origin[0]}:{origin[1]} closed or answered badly: {exc!r}") from exc
        except BaseException:  # cancelled mid-request: the connection's state is unknown
            conn.close()
            raise
        if reusable and len(self._idle) < MAX_IDLE:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()
        return status, response_headers, content

    def _take(self, origin: tuple[str, int]) -> _Conn | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if conn.origin == origin and conn.usable(now):
                return conn
            conn.close()
        return None

    async def _connect(self, origin: tuple[str, int], within_s: float | None) -> _Conn:
        try:
            async with asyncio.timeout(within_s):
                reader, writer = await asyncio.open_connection(*origin)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"cannot connect to {origin[0]}:{origin[1]} in time") from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {origin[0]}:{origin[1]}: {exc}") from exc
        return _Conn(origin, reader, writer)

    @staticmethod
    async def _read(conn: _Conn, head_only: bool) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        raw = await conn.reader.readuntil(b"\r\n\r\n")  # a longer head than the stream's limit: LimitOverrunError
        lines = raw.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/1."):
            raise ValueError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(rest[:3])
        headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line)]
        fields = {k.lower(): v.lower() for k, v in headers}
        reusable = version == "HTTP/1.1" and fields.get("connection") != "close"
        if head_only or status in (204, 304) or 100 <= status < 200:
            return status, headers, b"", reusable
        if "chunked" in fields.get("transfer-encoding", ""):
            parts = []
            while True:
                size = int((await conn.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    break
                parts.append(await conn.reader.readexactly(size + 2))
            while (await conn.reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, then the empty line
                pass
            body = b"".join(p[:-2] for p in parts)
            headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        elif "content-length" in fields:
            body = await conn.reader.readexactly(int(fields["content-length"]))
        else:  # the body ends with the connection
            body, reusable = await conn.reader.read(), False
        return status, headers, body, reusable

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
