"""The local backend against hostile clients and careless use (issue #17, first part): each test failed before its fix.
A client clock far in the future, web pages from other origins, a crashing export, readable files, an echoed token, an
issuer that differs by a trailing slash."""

from __future__ import annotations

import base64
import json
import stat
import struct
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import websockets

from codex_convex.backend import LocalBackend, mint_dev_token
from tests.support import recv, ws_url

pytestmark = [pytest.mark.anyio, pytest.mark.backend]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("hardening")) as b:
        yield b


async def test_a_far_future_client_clock_does_not_break_later_mutations(backend: LocalBackend) -> None:
    token = mint_dev_token(backend.data_dir, "clock")
    huge = base64.b64encode(struct.pack("<Q", 2**64 - 1)).decode()
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps({"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0,
                                  "lastCloseReason": "InitialConnect", "maxObservedTimestamp": huge}))
        await ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": token}))
        assert (await recv(ws))["type"] == "Transition"
        for i in range(2):
            await ws.send(json.dumps({"type": "Mutation", "requestId": i, "udfPath": "diagnostics:ping",
                                      "args": [{"nonce": f"clock-{i}", "delayMs": 0.0}]}))
            resp = await recv(ws)
            assert resp["type"] == "MutationResponse" and resp["success"] is True, resp
            assert struct.unpack("<Q", base64.b64decode(resp["ts"]))[0] < 2**63
            assert (await recv(ws))["type"] == "Transition"


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://evil.example", False),
    ("http://localhost:5173", True),
    ("http://127.0.0.1:8080", True),
    (None, True),  # not a browser: the official clients send no Origin
])
async def test_websocket_upgrades_from_other_origins_are_refused(backend: LocalBackend, origin: str | None,
                                                                allowed: bool) -> None:
    headers = {"Origin": origin} if origin else {}
    if allowed:
        async with websockets.connect(ws_url(backend), additional_headers=headers):
            pass
    else:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(ws_url(backend), additional_headers=headers):
                pass
        assert refused.value.response.status_code == 403


def test_data_and_logs_are_readable_by_their_owner_only(backend: LocalBackend) -> None:
    data = backend.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name == "data.sqlite3" for p in files) and any(p.name == "backend.log" for p in files)
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files if stat.S_IMODE(p.stat().st_mode) & 0o077} \
        == {}


def test_a_header_without_scheme_is_refused_without_echoing_it(backend: LocalBackend) -> None:
    secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2ln"
    r = httpx.post(f"{backend.url}/api/query", json={"path": "diagnostics:whoami", "args": {}},
                   headers={"Authorization": secret}, timeout=10)
    assert r.status_code == 401 and secret not in r.text
    assert secret not in (backend.data_dir / "backend.log").read_text()


def test_an_issuer_differing_by_a_trailing_slash_is_another_issuer(backend: LocalBackend) -> None:
    token = mint_dev_token(backend.data_dir, "slash", issuer="https://dev.codex-convex.local/")
    r = httpx.post(f"{backend.url}/api/query", json={"path": "diagnostics:whoami", "args": {}},
                   headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 401


def test_a_token_answered_from_memory_is_refused_once_it_expires(backend: LocalBackend) -> None:
    """The backend remembers tokens it verified (a host sends the same one with every write): an expired one is
    still refused at once, over HTTP, and the token of another user is never mistaken for it."""
    token = mint_dev_token(backend.data_dir, "short", ttl_s=2)
    other = mint_dev_token(backend.data_dir, "other", ttl_s=3600)

    def whoami(t: str) -> httpx.Response:
        return httpx.post(f"{backend.url}/api/query", json={"path": "diagnostics:whoami", "args": {}},
                          headers={"Authorization": f"Bearer {t}"}, timeout=10)

    first, again, theirs = whoami(token), whoami(token), whoami(other)
    assert first.status_code == again.status_code == theirs.status_code == 200
    assert first.json()["value"] == again.json()["value"] != theirs.json()["value"]
    time.sleep(2.2)
    late = whoami(token)
    assert late.status_code == 401 and "exp" in late.json()["message"]
    assert whoami(other).status_code == 200
