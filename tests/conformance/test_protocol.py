"""Conformance: the same assertions against the local backend or any deployment (CONVEX_URL + tokens), using only
the official ``convex`` client and httpx, against the example app's real functions."""

from __future__ import annotations

import uuid

import anyio
import convex
import httpx
import pytest

from codex_convex.convex_api import ConvexHttp, Int64, Subscriber
from codex_convex.errors import ConvexApiError, ConvexAuthError
from codex_convex.host_api import CONTRACT_VERSION
from tests.conftest import Deployment

pytestmark = pytest.mark.anyio


def test_query_with_official_client(deployment: Deployment) -> None:
    client = convex.ConvexClient(deployment.url)
    assert client.query("health:info") == {"component": "codexConvex", "contractVersion": float(CONTRACT_VERSION)}


def test_js_suffix_names_the_same_function(deployment: Deployment) -> None:
    client = convex.ConvexClient(deployment.url)
    assert client.query("health.js:info") == client.query("health:info")


def test_action_round_trips_convex_values(deployment: Deployment) -> None:
    client = convex.ConvexClient(deployment.url)
    value = {"i": convex.ConvexInt64(2**40), "b": b"\x00\x01", "l": [1.5, None, True], "s": "x"}
    out = client.action("diagnostics:echo", {"value": value})
    assert out == {"value": value, "subject": None}


def test_convex_error_data_over_sync_protocol(deployment: Deployment) -> None:
    client = convex.ConvexClient(deployment.url)
    with pytest.raises(convex.ConvexError) as e:
        client.mutation("diagnostics:ping", {"nonce": "n", "delayMs": 0})
    assert e.value.data["code"] == "E_AUTH_REQUIRED"


async def test_convex_error_data_over_http(deployment: Deployment) -> None:
    async with ConvexHttp(deployment.url) as http:
        with pytest.raises(ConvexAuthError) as e:
            await http.mutation("diagnostics:ping", {"nonce": "n", "delayMs": 0})
    assert e.value.code == "E_AUTH_REQUIRED"


def test_set_auth_and_clear_auth(deployment: Deployment) -> None:
    client = convex.ConvexClient(deployment.url)
    assert client.query("diagnostics:whoami") is None
    client.set_auth(deployment.alice)
    me = client.query("diagnostics:whoami")
    assert me is not None and me["tokenIdentifier"].endswith("|" + me["subject"])
    client.clear_auth()
    assert client.query("diagnostics:whoami") is None


async def test_auth_over_http(deployment: Deployment) -> None:
    async with ConvexHttp(deployment.url, token=deployment.bob) as http:
        me = await http.query("diagnostics:whoami")
    assert me is not None and me["subject"]


async def test_bad_token_is_refused_over_http(deployment: Deployment) -> None:
    async with ConvexHttp(deployment.url, token="not-a-jwt") as http:
        with pytest.raises(ConvexAuthError) as e:
            await http.query("diagnostics:whoami")
    assert e.value.code == "E_AUTH_INVALID_TOKEN"


async def test_internal_function_is_not_reachable(deployment: Deployment) -> None:
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        with pytest.raises(ConvexApiError) as e:
            await http.query("diagnostics:internalProbe")
    assert "Could not find public function" in e.value.message


async def test_wrong_kind_is_refused(deployment: Deployment) -> None:
    async with ConvexHttp(deployment.url) as http:
        with pytest.raises(ConvexApiError) as e:
            await http.mutation("health:info")
    assert "defined as Query" in e.value.message


async def test_argument_validation(deployment: Deployment) -> None:
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        with pytest.raises(ConvexApiError) as e:
            await http.mutation("diagnostics:ping", {"nonce": 5, "delayMs": 0})
    assert "Validator" in e.value.message or "validator" in e.value.message


async def test_int64_over_http(deployment: Deployment) -> None:
    async with ConvexHttp(deployment.url) as http:
        out = await http.action("diagnostics:echo", {"value": {"n": Int64(-7), "f": 2}})
    assert out["value"] == {"n": -7, "f": 2.0}


async def test_second_client_subscription_sees_mutation_and_scheduled_function(deployment: Deployment) -> None:
    nonce = uuid.uuid4().hex
    watcher = Subscriber(deployment.url, token=deployment.alice)
    seen: list[object] = []
    async with ConvexHttp(deployment.url, token=deployment.alice) as writer:
        with anyio.fail_after(20):
            async for value in watcher.watch("diagnostics:getPing", {"nonce": nonce}):
                seen.append(value if value is None else value["state"])
                if value is None:
                    await writer.mutation("diagnostics:ping", {"nonce": nonce, "delayMs": 300})
                elif value["state"] == "done":
                    assert value["ranAt"] - value["createdAt"] >= 250
                    break
    assert seen[0] is None and seen[-1] == "done"


async def test_other_user_does_not_see_the_ping(deployment: Deployment) -> None:
    nonce = uuid.uuid4().hex
    async with ConvexHttp(deployment.url, token=deployment.alice) as a, \
            ConvexHttp(deployment.url, token=deployment.bob) as b:
        await a.mutation("diagnostics:ping", {"nonce": nonce, "delayMs": 0})
        assert await a.query("diagnostics:getPing", {"nonce": nonce}) is not None
        assert await b.query("diagnostics:getPing", {"nonce": nonce}) is None


async def test_failed_mutation_writes_nothing(deployment: Deployment) -> None:
    nonce = uuid.uuid4().hex
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        with pytest.raises(ConvexApiError) as e:
            await http.mutation("diagnostics:ping", {"nonce": nonce, "delayMs": 10**9})
        assert e.value.code == "E_DIAG_BAD_DELAY"
        assert await http.query("diagnostics:getPing", {"nonce": nonce}) is None


def test_version_endpoint(deployment: Deployment) -> None:
    if deployment.local is None:
        pytest.skip("GET /version is the local backend's")
    assert httpx.get(f"{deployment.url}/version").json()["engine"] == "durable"
