"""A subscription whose token cannot be renewed ends with a typed error: it never waits on a socket that the
official client would reconnect forever with an expired token (the local backend closes it, as Convex does)."""

from __future__ import annotations

import anyio
import pytest

from codex_convex.backend import mint_dev_token
from codex_convex.convex_api import Subscriber
from codex_convex.errors import ConvexApiError, ConvexAuthError
from tests.conftest import Deployment

pytestmark = [pytest.mark.anyio, pytest.mark.backend]


async def test_a_watch_ends_with_an_auth_error_when_no_fresh_token_can_be_had(deployment: Deployment) -> None:
    if deployment.local is None:
        pytest.skip("minting short tokens needs the local backend's dev issuer")
    data = deployment.local.data_dir
    given: list[str] = []

    def provider() -> str:
        if given:
            raise RuntimeError("identity provider unreachable")
        given.append(mint_dev_token(data, "alice", ttl_s=3))
        return given[-1]

    sub = Subscriber(deployment.url, token=provider)
    values: list[object] = []
    with anyio.fail_after(15):
        async with anyio.create_task_group() as tg:
            tg.start_soon(sub.keep_auth_fresh)
            with pytest.raises(ConvexAuthError) as err:
                async for value in sub.watch("chat:listConversations", {"paginationOpts": {"numItems": 1,
                                                                                           "cursor": None}}):
                    values.append(value)
    assert values, "the first result came while the token was valid"
    assert err.value.code == "E_AUTH_TOKEN_PROVIDER"
    sub.close()


async def test_a_subscriber_drops_its_client_at_the_end_of_its_block_and_refuses_watches_after(
        deployment: Deployment) -> None:
    """The official client is dropped on the caller's thread when the block ends: left to Python's cycle collector it
    could be dropped on another client's runtime thread, where its runtime cannot shut down (a panic)."""
    async with Subscriber(deployment.url, token=deployment.alice) as sub:
        async for value in sub.watch("chat:listConversations", {"paginationOpts": {"numItems": 1, "cursor": None}}):
            assert "page" in value
            break
    with pytest.raises(ConvexApiError) as err:
        async for _ in sub.watch("chat:listConversations", {"paginationOpts": {"numItems": 1, "cursor": None}}):
            pass
    assert err.value.code == "E_CONVEX_SUBSCRIBER_CLOSED"
