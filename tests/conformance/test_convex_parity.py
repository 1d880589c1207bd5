"""Where the local backend must answer exactly as a Convex deployment does (issue #24), checked against Convex's
source (convex-backend `public_api.rs`, `validator.rs`, the JS client's `http_client.ts` and `protocol.ts`).
Runnable against CONVEX_URL: the same assertions hold there."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import Deployment
from tests.support import recv

pytestmark = pytest.mark.anyio


def post(deployment: Deployment, route: str, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{deployment.url}{route}", json=body, headers=headers, timeout=30)


@pytest.mark.parametrize(("args", "message"), [
    ({"nonce": 123, "delayMs": 0}, "ArgumentValidationError: Value does not match validator.\nPath: .nonce\n"
                                   "Value: 123.0\nValidator: v.string()"),
    ({"nonce": "n"}, "ArgumentValidationError: Object is missing the required field `delayMs`. Consider wrapping "
                     "the field validator in `v.optional(...)` if this is expected.\n\nObject: {nonce: \"n\"}\n"
                     "Validator: v.object({delayMs: v.float64(), nonce: v.string()})"),
    ({"nonce": "n", "delayMs": 0, "extra": True}, "ArgumentValidationError: Object contains extra field `extra` "
                                                  "that is not in the validator.\n\nObject: {delayMs: 0.0, extra: "
                                                  "true, nonce: \"n\"}\nValidator: v.object({delayMs: v.float64(), "
                                                  "nonce: v.string()})"),
])
def test_argument_validation_errors_read_as_on_convex(deployment: Deployment, args: dict[str, Any],
                                                      message: str) -> None:
    r = post(deployment, "/api/mutation", {"path": "diagnostics:ping", "args": args, "format": "json"},
             deployment.alice)
    assert r.status_code == 560
    assert r.json()["status"] == "error" and r.json()["errorMessage"] == message


def test_consistent_queries_read_at_one_timestamp(deployment: Deployment) -> None:
    ts = post(deployment, "/api/query_ts", {}).json()["ts"]
    body = {"path": "diagnostics:whoami", "args": [{}], "format": "convex_encoded_json", "ts": ts}
    at = post(deployment, "/api/query_at_ts", body, deployment.alice)
    assert at.status_code == 200 and at.json()["value"]["subject"]
    later = post(deployment, "/api/query_ts", {}).json()["ts"]
    assert len(later) == len(ts) == 12  # 8 bytes, base64


def test_a_query_batch_answers_each_query_in_order(deployment: Deployment) -> None:
    r = post(deployment, "/api/query_batch", {"queries": [
        {"path": "diagnostics:whoami", "args": {}, "format": "json"},
        {"path": "diagnostics:noSuchQuery", "args": {}, "format": "json"},
        {"path": "health:info", "args": {}, "format": "json"},
    ]}, deployment.alice)
    assert r.status_code == 200
    first, missing, third = r.json()["results"]
    assert first["status"] == "success" and first["value"]["subject"]
    assert missing["status"] == "error" and "Could not find public function" in missing["errorMessage"]
    assert third["status"] == "success"


def test_api_function_runs_any_kind(deployment: Deployment) -> None:
    nonce = f"fn-{uuid.uuid4()}"
    m = post(deployment, "/api/function", {"path": "diagnostics:ping", "args": {"nonce": nonce, "delayMs": 0},
                                           "format": "json"}, deployment.alice)
    assert m.status_code == 200 and m.json()["status"] == "success", m.text
    q = post(deployment, "/api/function", {"path": "diagnostics:getPing", "args": {"nonce": nonce},
                                           "format": "json"}, deployment.alice)
    assert q.json()["value"]["state"] in ("scheduled", "done")
    g = httpx.get(f"{deployment.url}/api/query", params={"path": "diagnostics:getPing", "args": json.dumps(
        {"nonce": nonce}), "format": "json"}, headers={"Authorization": f"Bearer {deployment.alice}"})
    assert g.status_code == 200 and g.json()["value"]["state"] in ("scheduled", "done")


async def test_transitions_carry_the_client_clock_skew(deployment: Deployment) -> None:
    url = deployment.url.replace("http://", "ws://").replace("https://", "wss://") + "/api/sync"
    ahead_ms = 60_000  # a client whose clock runs a minute fast
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0,
                                  "lastCloseReason": "InitialConnect", "clientTs": int(time.time() * 1000) + ahead_ms}))
        await ws.send(json.dumps({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
            {"type": "Add", "queryId": 0, "udfPath": "health:info", "args": [{}]}]}))
        t = await recv(ws)
        assert t["type"] == "Transition"
        assert abs(t["clientClockSkew"] - ahead_ms) < 5_000
        assert abs(t["serverTs"] / 1e9 - time.time()) < 5  # nanoseconds since the epoch
