"""Every HTTP route of the local backend against bad requests (issue #17): wrong methods, bad and oversized bodies,
half requests, slow and garbage clients, and pages from other origins. After each, the backend still serves and its
data is unchanged; no request gets a 5xx or takes the process down."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from tests.support import exported

pytestmark = pytest.mark.backend

MiB = 1024 * 1024
ROUTES = ["/version", "/health", "/.well-known/jwks.json", "/api/metrics", "/api/metrics/reset", "/api/export",
          "/api/import", "/api/query", "/api/mutation", "/api/action", "/api/function", "/api/query_ts",
          "/api/query_at_ts", "/api/query_batch", "/api/run/diagnostics/ping", "/api/sync", "/no/such/route"]
BODIES: dict[str, bytes] = {
    "bad json": b"{", "a list": b"[1]", "a string": b'"x"', "null": b"null", "empty": b"",
    "no path": b'{"args": {}}', "path not a string": b'{"path": 7, "args": {}}',
    "args not an object": b'{"path": "diagnostics:ping", "args": "x"}',
    "queries not a list": b'{"queries": 3}', "bad ts": b'{"path": "diagnostics:whoami", "args": {}, "ts": "!!"}',
    "not utf-8": b'{"path": "\xff\xfe"}',
}


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("http-hardening"), allow_origins=("https://app.example",)) as b:
        token = mint_dev_token(b.data_dir, "owner")
        r = httpx.post(f"{b.url}/api/mutation", headers={"Authorization": f"Bearer {token}"},
                       json={"path": "chat:syncOpenConversationBinding", "args": {"threadId": "t-owner"},
                             "format": "json"})
        assert r.status_code == 200, r.text  # some data to protect
        yield b


def serving(backend: LocalBackend) -> None:
    assert backend.process is not None and backend.process.poll() is None, "the backend process died"
    assert httpx.get(f"{backend.url}/health", timeout=10).json()["status"] == "ok"


def raw(backend: LocalBackend, data: bytes, *, read: bool = True, close: bool = True) -> bytes:
    host, port = backend.url.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)), timeout=10)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before taking everything (an oversized body)
    out = b""
    if read:
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    if close:
        s.close()
    return out


@pytest.mark.parametrize("auth", ["anonymous", "user", "admin"])
def test_every_route_survives_every_bad_request(backend: LocalBackend, auth: str) -> None:
    assert backend.info is not None
    headers = {"anonymous": {}, "user": {"Authorization": f"Bearer {mint_dev_token(backend.data_dir, 'owner')}"},
               "admin": {"Authorization": f"Convex {backend.info.admin_key}"}}[auth]
    before = exported(backend)
    seen: dict[tuple[str, str], int] = {}
    with httpx.Client(base_url=backend.url, headers=headers, timeout=30) as http:
        for route in ROUTES:
            for method in ("GET", "PUT", "DELETE", "PATCH", "HEAD"):
                seen[(route, method)] = http.request(method, route).status_code
            for name, body in BODIES.items():
                r = http.post(route, content=body, headers={"content-type": "application/json"})
                seen[(route, name)] = r.status_code
                if r.status_code >= 400 and route.startswith("/api/") and r.headers.get("content-type", "").startswith(
                        "application/json") and r.status_code != 560:
                    assert r.json()["code"], r.text  # a specific code with every refusal
    broken = {k: v for k, v in seen.items() if v >= 500 and v != 560}
    assert not broken, broken
    serving(backend)
    assert exported(backend) == before


def test_oversized_half_slow_and_garbage_requests_leave_it_serving(backend: LocalBackend) -> None:
    before = exported(backend)
    port_path = "POST /api/mutation HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
    # A declared body over 20 MiB is refused before a byte of it is read.
    head = raw(backend, f"{port_path}content-length: {30 * MiB}\r\n\r\n{{".encode())
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    # A body that really is over the limit (chunked, no length declared) is cut off with 413.
    chunk = b"x" * MiB
    big = port_path.encode() + b"transfer-encoding: chunked\r\n\r\n" + \
        b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(21)) + b"0\r\n\r\n"
    assert raw(backend, big).startswith(b"HTTP/1.1 413")
    # Half a request: a length of 1000, 10 bytes, then the client goes away.
    raw(backend, f"{port_path}content-length: 1000\r\n\r\n{{\"path\": ".encode(), read=False)
    # Garbage instead of HTTP.
    assert raw(backend, b"\x00\x01\x02 garbage \r\n\r\n").startswith(b"HTTP/1.1 400")
    # A slow client holds a half-sent header: others are served meanwhile.
    host, port = backend.url.removeprefix("http://").split(":")
    slow = socket.create_connection((host, int(port)), timeout=10)
    slow.sendall(b"POST /api/mutation HTTP/1.1\r\nhost: x\r\n")
    started = time.monotonic()
    serving(backend)
    assert time.monotonic() - started < 5
    slow.close()
    serving(backend)
    assert exported(backend) == before


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://evil.example", False),
    ("http://localhost:5173", True),
    ("http://127.0.0.1:8080", True),
    ("https://app.example", True),  # --allow-origin
    ("null", False),  # a sandboxed frame or a file:// page
    (None, True),  # not a browser
])
def test_cors_admits_loopback_and_allowed_origins_only(backend: LocalBackend, origin: str | None,
                                                       allowed: bool) -> None:
    before = exported(backend)
    token = mint_dev_token(backend.data_dir, "owner")
    headers = {"Origin": origin} if origin else {}
    preflight = httpx.options(f"{backend.url}/api/mutation", headers={
        **headers, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    # A form POST from a page needs no preflight: the request itself must be refused.
    call = httpx.post(f"{backend.url}/api/mutation", headers={**headers, "Authorization": f"Bearer {token}"},
                      json={"path": "chat:syncOpenConversationBinding", "args": {"threadId": f"cors-{origin}"}})
    if allowed:
        assert preflight.status_code == 204 and call.status_code == 200
        if origin:
            assert preflight.headers["access-control-allow-origin"] == origin
            assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
            assert call.headers["access-control-allow-origin"] == origin
    else:
        assert preflight.status_code == 403 and call.status_code == 403
        assert call.json()["code"] == "OriginNotAllowed"
        assert "access-control-allow-origin" not in call.headers
        assert exported(backend) == before
