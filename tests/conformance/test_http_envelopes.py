"""Convex's HTTP API answers, byte for byte where a client looks: raw httpx, no wrapper, against the local backend
or CONVEX_URL. Function errors (a thrown error, a ConvexError, a missing or internal function, the wrong kind,
arguments refused by the validator) come in the ``{"status": "error", "errorMessage", "errorData"?}`` envelope with
HTTP 560 (Convex's hosted deployments; its open-source backend answers 200, and the official clients accept both);
a request refused before any function runs (a bad token) is a 4xx ``{"code", "message"}``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Deployment

pytestmark = pytest.mark.anyio
UDF_FAILED = (200, 560)


async def post(deployment: Deployment, kind: str, path: str, args: dict[str, Any], token: str | None = None
               ) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{deployment.url}/api/{kind}", json={"path": path, "args": args, "format": "json"},
                                 headers=headers)


def function_error(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code in UDF_FAILED, (resp.status_code, resp.text)
    body: dict[str, Any] = resp.json()
    assert body["status"] == "error" and isinstance(body["errorMessage"], str), body
    assert "code" not in body  # not the 4xx shape
    return body


@pytest.mark.parametrize("path", ["nosuch:fn", "diagnostics:internalProbe"])
async def test_a_missing_or_internal_function_is_a_function_error(deployment: Deployment, path: str) -> None:
    body = function_error(await post(deployment, "query", path, {}))
    assert f"Could not find public function for '{path}'" in body["errorMessage"]
    assert "errorData" not in body


async def test_the_wrong_kind_is_a_function_error(deployment: Deployment) -> None:
    body = function_error(await post(deployment, "mutation", "health:info", {}))
    assert "Trying to execute health:info as Mutation, but it is defined as Query" in body["errorMessage"]


async def test_a_convex_error_carries_its_data(deployment: Deployment) -> None:
    body = function_error(await post(deployment, "mutation", "diagnostics:ping", {"nonce": "n", "delayMs": 0}))
    assert body["errorData"]["code"] == "E_AUTH_REQUIRED"


async def test_arguments_refused_by_the_validator_are_a_function_error(deployment: Deployment) -> None:
    body = function_error(await post(deployment, "mutation", "diagnostics:ping", {"nonce": 5, "delayMs": 0},
                                     deployment.alice))
    assert "errorData" not in body


async def test_a_bad_token_is_refused_before_running(deployment: Deployment) -> None:
    resp = await post(deployment, "query", "diagnostics:whoami", {}, token="not-a-jwt")
    assert resp.status_code == 401
    assert set(resp.json()) == {"code", "message"}


async def test_success_is_the_value_in_the_success_envelope(deployment: Deployment) -> None:
    resp = await post(deployment, "query", "diagnostics:whoami", {}, deployment.alice)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "success" and body["value"]["subject"]
