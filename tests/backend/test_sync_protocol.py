"""The local backend's sync protocol at the frame level (a raw WebSocket client), and its bad-input handling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import convex
import pytest
import websockets

from codex_convex.backend import LocalBackend, mint_dev_token
from tests.support import recv, ws_url

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("sync-backend")) as b:
        yield b


CONNECT = {"type": "Connect", "sessionId": "00000000-0000-0000-0000-000000000000", "connectionCount": 0,
           "lastCloseReason": "InitialConnect", "clientTs": 0}


async def test_versions_chain_from_one_transition_to_the_next(backend: LocalBackend) -> None:
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
            {"type": "Add", "queryId": 0, "udfPath": "health:info", "args": [{}]}]}))
        t1 = await recv(ws)
        assert t1["type"] == "Transition"
        assert t1["startVersion"] == {"querySet": 0, "identity": 0, "ts": "AAAAAAAAAAA="}
        assert t1["endVersion"]["querySet"] == 1
        assert t1["modifications"][0]["type"] == "QueryUpdated"
        assert t1["modifications"][0]["logLines"] == []
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 1, "newVersion": 2, "modifications": [
            {"type": "Remove", "queryId": 0}]}))
        t2 = await recv(ws)
        assert t2["startVersion"] == t1["endVersion"]
        assert t2["modifications"] == [{"type": "QueryRemoved", "queryId": 0}]


async def test_transition_follows_every_mutation_response(backend: LocalBackend) -> None:
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        await ws.send(json.dumps({"type": "Mutation", "requestId": 0, "udfPath": "diagnostics:ping",
                                  "args": [{"nonce": "x", "delayMs": 0.0}]}))
        resp = await recv(ws)
        assert resp["type"] == "MutationResponse" and resp["success"] is False and resp["ts"] is None
        assert resp["errorData"]["code"] == "E_AUTH_REQUIRED"
        assert (await recv(ws))["type"] == "Transition"


@pytest.mark.parametrize("frame", [
    "not json at all",
    json.dumps({"no": "type"}),
    json.dumps({"type": "Teleport"}),
    json.dumps({"type": "ModifyQuerySet", "baseVersion": 7, "newVersion": 8, "modifications": []}),
])
async def test_bad_frames_get_a_fatal_error_and_others_keep_being_served(backend: LocalBackend, frame: str) -> None:
    async with websockets.connect(ws_url(backend)) as bad:
        await bad.send(frame)
        msg = await recv(bad)
        assert msg["type"] == "FatalError" and msg["error"]
        with anyio.fail_after(5), pytest.raises(websockets.ConnectionClosed):
            await bad.recv()
    client = convex.ConvexClient(backend.url)
    assert client.query("health:info")["component"] == "codexConvex"


@pytest.mark.parametrize("request_id", [[1], 2**53 + 1, 2**32, -1, 1.5, "7", None])
async def test_a_mutation_with_a_request_id_convex_cannot_parse_runs_nothing(backend: LocalBackend,
                                                                            request_id: Any) -> None:
    """Convex's request ids are u32s: anything else is a frame that does not parse (found by the protocol fuzzer: a
    ping with requestId [2^53 + 1] committed and was answered as [2^53], an id its client could not match)."""
    token = mint_dev_token(backend.data_dir, "ids")
    nonce = f"bad-id-{json.dumps(request_id)}"
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        await ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": token}))
        await ws.send(json.dumps({"type": "Mutation", "requestId": request_id, "udfPath": "diagnostics:ping",
                                  "args": [{"nonce": nonce, "delayMs": 0.0}]}))
        with anyio.fail_after(5):
            while (msg := await recv(ws))["type"] == "Transition":
                pass
        assert msg["type"] == "FatalError" and "requestId" in msg["error"]
    client = convex.ConvexClient(backend.url)
    client.set_auth(token)
    assert client.query("diagnostics:getPing", {"nonce": nonce}) is None  # nothing ran


async def test_bad_token_gets_auth_error_on_the_socket(backend: LocalBackend) -> None:
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        await ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": "x.y.z"}))
        msg = await recv(ws)
        assert msg["type"] == "AuthError" and msg["authUpdateAttempted"] is True


@pytest.mark.parametrize("claims", [
    {"ttl_s": -60},  # expired
    {"ttl_s": None},  # no expiry: Convex refuses it (a leaked token would be valid forever)
    {"audience": "someone-else"},
    {"issuer": "https://evil.example"},
])
async def test_tokens_failing_verification_are_refused(backend: LocalBackend, claims: dict[str, Any]) -> None:
    token = mint_dev_token(backend.data_dir, "mallory", **claims)  # type: ignore[arg-type]
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        await ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": token}))
        assert (await recv(ws))["type"] == "AuthError"


async def test_a_token_expiring_on_an_open_socket_ends_it_with_an_auth_error(backend: LocalBackend) -> None:
    token = mint_dev_token(backend.data_dir, "alice", ttl_s=2)
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        await ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": token}))
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
            {"type": "Add", "queryId": 0, "udfPath": "diagnostics.js:whoami", "args": [{}]}]}))
        assert (await recv(ws))["type"] == "Transition"
        assert (await recv(ws))["type"] == "Transition"
        # Nothing sent: the token lapses on its own and the server says so (Convex: TokenExpired), then closes.
        msg = await recv(ws, timeout_s=6)
        assert msg == {"type": "AuthError", "error": "Convex token identity expired", "baseVersion": 1,
                       "authUpdateAttempted": False}
        with pytest.raises(websockets.ConnectionClosed):
            await recv(ws)


async def test_a_token_renewed_before_expiry_keeps_the_socket(backend: LocalBackend) -> None:
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        for version in range(3):  # three 2-second tokens, each replaced a second before it lapses
            token = mint_dev_token(backend.data_dir, "alice", ttl_s=2)
            await ws.send(json.dumps({"type": "Authenticate", "baseVersion": version, "tokenType": "User",
                                      "value": token}))
            assert (await recv(ws))["type"] == "Transition"
            await anyio.sleep(1)
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
            {"type": "Add", "queryId": 0, "udfPath": "diagnostics.js:whoami", "args": [{}]}]}))
        got = await recv(ws)
        assert got["type"] == "Transition" and got["modifications"][0]["value"]["subject"] == "alice"


async def test_valid_token_bumps_identity_version(backend: LocalBackend) -> None:
    token = mint_dev_token(backend.data_dir, "alice")
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps(CONNECT))
        await ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": token}))
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
            {"type": "Add", "queryId": 0, "udfPath": "diagnostics.js:whoami", "args": [{}]}]}))
        t1 = await recv(ws)
        t2 = await recv(ws)
        assert t1["endVersion"]["identity"] == 1
        assert t2["startVersion"] == t1["endVersion"]
        assert t2["modifications"][0]["value"]["subject"] == "alice"


async def test_ping_is_sent_when_idle(tmp_path: Path) -> None:
    with LocalBackend(tmp_path, ping_ms=100) as b:
        async with websockets.connect(ws_url(b)) as ws:
            with anyio.fail_after(3):
                assert json.loads(await ws.recv()) == {"type": "Ping"}


async def test_admin_key_reaches_internal_functions(backend: LocalBackend) -> None:
    from codex_convex.convex_api import ConvexHttp

    assert backend.info is not None
    async with ConvexHttp(backend.url, admin_key=backend.info.admin_key) as admin:
        assert "internal" in await admin.query("diagnostics:internalProbe")
