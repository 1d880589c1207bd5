"""Tokens that expire, one layer at a time: the provider's renewal schedule, and HTTP calls that renew a refused
token once and retry (respx stands in for the deployment)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx

from codex_convex.convex_api import ConvexHttp, TokenProvider
from codex_convex.errors import ConvexAuthError

pytestmark = pytest.mark.anyio
URL = "https://example.convex.cloud"


def jwt(iat: float, exp: float, sub: str = "alice") -> str:
    def part(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    return f"{part({'alg': 'RS256'})}.{part({'sub': sub, 'iat': iat, 'exp': exp})}.sig"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_provider_is_asked_again_a_quarter_of_a_lifetime_before_expiry() -> None:
    clock, minted = Clock(), []

    def source() -> str:
        minted.append(clock.now)
        return jwt(clock.now, clock.now + 8)

    tokens = TokenProvider(source, clock=clock)
    first = await tokens.current()
    assert minted == [1000.0] and tokens.renew_at() == 1006.0  # 8 s token: renewed 2 s before it lapses
    clock.now = 1005.9
    assert await tokens.current() == first
    clock.now = 1006.0
    assert await tokens.current() != first and len(minted) == 2


async def test_long_tokens_are_renewed_30_seconds_before_expiry_and_fixed_tokens_never() -> None:
    clock = Clock()
    tokens = TokenProvider(lambda: jwt(clock.now, clock.now + 3600), clock=clock)
    await tokens.current()
    assert tokens.renew_at() == 1000.0 + 3600 - 30
    fixed = TokenProvider(jwt(0, 1))
    assert fixed.renew_at() is None and await fixed.current() == jwt(0, 1) and not fixed.refreshable


async def test_an_async_provider_that_fails_is_a_typed_auth_error() -> None:
    async def broken() -> str:
        raise RuntimeError("identity provider down")

    with pytest.raises(ConvexAuthError) as err:
        await TokenProvider(broken).current()
    assert err.value.code == "E_AUTH_TOKEN_PROVIDER"


@respx.mock
async def test_a_refused_token_is_renewed_once_and_the_call_retried() -> None:
    issued = iter([jwt(0, 10**10, "old"), jwt(0, 10**10, "new")])
    route = respx.post(f"{URL}/api/mutation").mock(side_effect=[
        httpx.Response(401, json={"code": "Unauthenticated", "message": "Convex token identity expired"}),
        httpx.Response(200, json={"status": "success", "value": 7}),
    ])
    async with ConvexHttp(URL, token=lambda: next(issued)) as http:
        assert await http.mutation("chat:newConversation", {}) == 7
    sent = [c.request.headers["Authorization"] for c in route.calls]
    assert sent == [f"Bearer {jwt(0, 10**10, 'old')}", f"Bearer {jwt(0, 10**10, 'new')}"]


@respx.mock
async def test_a_fixed_token_refused_is_an_auth_error_without_retry() -> None:
    route = respx.post(f"{URL}/api/query").mock(return_value=httpx.Response(
        401, json={"code": "Unauthenticated", "message": "expired"}))
    async with ConvexHttp(URL, token=jwt(0, 1)) as http:
        with pytest.raises(ConvexAuthError):
            await http.query("chat:listConversations", {})
    assert route.call_count == 1
