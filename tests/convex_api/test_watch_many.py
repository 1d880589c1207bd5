"""Subscriber.watch_many: several queries watched with one wait on the official client (its set subscription), as
watch_conversation does: each query's latest result whenever one changes, the first at once even when another watch
already holds the query, and a failed query raised as its error."""

from __future__ import annotations

import anyio
import pytest

from codex_convex.convex_api import Subscriber
from codex_convex.convex_api.subscribe import _set_value
from codex_convex.errors import ConvexApiError
from codex_convex.host_api import HostApi
from tests.conftest import Deployment

pytestmark = [pytest.mark.anyio, pytest.mark.backend]


async def test_each_querys_latest_result_whenever_one_changes(deployment: Deployment, alice_api: HostApi) -> None:
    a = (await alice_api.new_conversation()).conversation_id
    b = (await alice_api.new_conversation()).conversation_id
    async with Subscriber(deployment.url, token=deployment.alice) as sub:
        results = sub.watch_many([("chat:getInterruptRequest", {"conversationId": a}),
                                  ("chat:getConversation", {"conversationId": b}),
                                  ("chat:getInterruptRequest", {"conversationId": b})])
        with anyio.fail_after(30):
            first = await anext(results)
            assert first[0] is None and first[1]["found"] and first[1]["conversation"]["status"] == "active"
            assert first[2] is None  # a null result is a result
            await alice_api.request_interrupt(conversation_id=b)
            second = await anext(results)  # only b's request changed
            assert second[0] is None and second[1] == first[1]
            assert second[2] is not None and second[2]["handledAt"] is None
            await alice_api.archive_conversation(conversation_id=b)
            third = await anext(results)
            assert third[1]["conversation"]["status"] == "archived" and third[2] == second[2]
        await results.aclose()


async def test_a_query_another_watch_holds_gives_its_result_at_once(deployment: Deployment,
                                                                    alice_api: HostApi) -> None:
    """The client shares one subscription between watches of the same query: no new update comes for the second, whose
    first result is the one the client has."""
    a = (await alice_api.new_conversation()).conversation_id
    async with Subscriber(deployment.url, token=deployment.alice) as sub:
        other = sub.watch("chat:getConversation", {"conversationId": a})
        results = sub.watch_many([("chat:getConversation", {"conversationId": a})])
        with anyio.fail_after(30):
            assert (await anext(other))["found"]
            assert (await anext(results))[0]["conversation"]["status"] == "active"
            await alice_api.archive_conversation(conversation_id=a)
            assert (await anext(results))[0]["conversation"]["status"] == "archived"
            assert (await anext(other))["conversation"]["status"] == "archived"
        await results.aclose()
        await other.aclose()


def test_a_failed_query_in_a_result_set_raises_its_error() -> None:
    """The client's set subscription gives a failed query as its message, or its ConvexError's (message, data)."""
    with pytest.raises(ConvexApiError) as raised:
        _set_value(('Uncaught ConvexError: {"code":"E_AUTH_REQUIRED","message":"sign in first"}',
                    {"code": "E_AUTH_REQUIRED", "message": "sign in first"}))
    assert raised.value.code == "E_AUTH_REQUIRED"
    with pytest.raises(ConvexApiError) as raised:
        _set_value("ArgumentValidationError: Value does not match validator.")
    assert raised.value.code == "E_CONVEX_FUNCTION"
    assert _set_value({"n": [1, None]}) == {"n": [1, None]}
