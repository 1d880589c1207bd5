"""A mutation re-sent over the sync protocol with the same session id and request id is applied once, as on Convex
(issue #24): the official clients re-send every unanswered mutation after a reconnect, so without this a dropped
connection applies a mutation twice. Kept on disk: a re-send after a backend restart is recognised too."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from codex_convex.backend import LocalBackend, mint_dev_token
from tests.support import recv, ws_url

pytestmark = [pytest.mark.anyio, pytest.mark.backend]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path / "b") as b:
        yield b


def rows(backend: LocalBackend) -> int:
    assert backend.info is not None
    r = httpx.post(f"{backend.url}/api/query", headers={"Authorization": f"Convex {backend.info.admin_key}"},
                   json={"path": "_probes/limits:countPage", "args": {"cursor": None}, "format": "json"})
    n: int = r.json()["value"]["n"]
    return n


async def send_once(backend: LocalBackend, session: str, auth: dict[str, Any], mutation: dict[str, Any],
                    connection: int) -> dict[str, Any]:
    """Connect as `session`, authenticate, send `mutation`, return its MutationResponse, then drop the socket."""
    async with websockets.connect(ws_url(backend)) as ws:
        await ws.send(json.dumps({"type": "Connect", "sessionId": session, "connectionCount": connection,
                                  "lastCloseReason": "InitialConnect" if connection == 0 else "Reconnect",
                                  "clientTs": 0}))
        await ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, **auth}))
        assert (await recv(ws))["type"] == "Transition"
        await ws.send(json.dumps(mutation))
        resp = await recv(ws)
        assert resp["type"] == "MutationResponse", resp
        assert (await recv(ws))["type"] == "Transition"  # the client delivers the result only after one
        return resp


async def test_a_resent_mutation_is_applied_once_across_reconnects_and_restarts(backend: LocalBackend) -> None:
    assert backend.info is not None
    admin = {"tokenType": "Admin", "value": backend.info.admin_key}
    session = str(uuid.uuid4())
    insert = {"type": "Mutation", "requestId": 0, "udfPath": "_probes/limits:insertNumbered",
              "args": [{"from": 5000, "n": 1}]}
    before = rows(backend)
    first = await send_once(backend, session, admin, insert, 0)
    assert first["success"] is True
    assert rows(backend) == before + 1
    again = await send_once(backend, session, admin, insert, 1)  # the client re-sends after a reconnect
    assert again["success"] is True and again["result"] == first["result"]
    assert rows(backend) == before + 1
    backend.stop()
    backend.start()
    after_restart = await send_once(backend, session, admin, insert, 2)
    assert after_restart["success"] is True
    assert rows(backend) == before + 1
    # Another session (or the next request id) is another mutation.
    assert (await send_once(backend, str(uuid.uuid4()), admin, insert, 0))["success"] is True
    assert (await send_once(backend, session, admin, {**insert, "requestId": 1}, 3))["success"] is True
    assert rows(backend) == before + 3


async def test_the_first_result_is_answered_again_even_after_functions_it_scheduled_ran(
        backend: LocalBackend) -> None:
    user = {"tokenType": "User", "value": mint_dev_token(backend.data_dir, "resend")}
    session = str(uuid.uuid4())
    # ping schedules a function that commits right after it; a second ping with the same nonce would be refused
    ping = {"type": "Mutation", "requestId": 7, "udfPath": "diagnostics:ping",
            "args": [{"nonce": "resend-1", "delayMs": 0.0}]}
    first = await send_once(backend, session, user, ping, 0)
    assert first["success"] is True, first
    again = await send_once(backend, session, user, ping, 1)
    assert again["success"] is True, again  # not E_DIAG_DUPLICATE_NONCE: it was not run a second time
    # Another user holding the same session id does not get it: receipts belong to their caller.
    other = {"tokenType": "User", "value": mint_dev_token(backend.data_dir, "someone-else")}
    assert (await send_once(backend, session, other, ping, 2))["success"] is True  # ran, for them
