"""The generated Python endpoint API against the deployment, with real JWTs: what a host does, end to end."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import anyio
import pytest

from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.errors import ConvexApiError, ConvexAuthError
from codex_convex.host_api import CONTRACT_VERSION, ENDPOINTS, HostApi
from codex_convex.host_api.models import IngestResult, NotFound, PaginationOpts
from tests.conftest import Deployment

pytestmark = pytest.mark.anyio
PAGE = PaginationOpts(num_items=20, cursor=None)


@pytest.fixture
async def alice(deployment: Deployment) -> AsyncIterator[HostApi]:
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        yield HostApi(http)


@pytest.fixture
async def bob(deployment: Deployment) -> AsyncIterator[HostApi]:
    async with ConvexHttp(deployment.url, token=deployment.bob) as http:
        yield HostApi(http)


def _thread() -> str:
    return f"th-{time.time_ns()}"


async def test_wiring_is_valid(alice: HostApi) -> None:
    r = await alice.validate_host_wiring()
    assert r.ok is True and r.contract_version == CONTRACT_VERSION


async def test_every_endpoint_is_generated() -> None:
    assert {"ingestEvents", "listMessages", "respondServerRequest", "listThreadsForConversation"} <= set(ENDPOINTS)
    for name in ENDPOINTS:
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
        assert callable(getattr(HostApi, snake))


async def test_ingest_then_read_messages(alice: HostApi) -> None:
    thread = _thread()
    opened = await alice.sync_open_conversation_binding(thread_id=thread)
    cid = opened.conversation.conversation_id
    now = time.time() * 1000
    item = {"type": "agentMessage", "id": "msg_1", "text": ""}
    r = await alice.ingest_events(conversation_id=cid, stream_id="s", seq=0, events=[
        {"type": "turnStarted", "threadId": thread, "turnId": "t1", "at": now},
        {"type": "item", "threadId": thread, "turnId": "t1", "itemId": "msg_1", "phase": "started",
         "itemType": "agentMessage", "part": 0, "partCount": 1, "data": json.dumps(item), "at": now},
        {"type": "messageDelta", "threadId": thread, "turnId": "t1", "itemId": "msg_1", "firstDelta": 0,
         "deltaCount": 2, "text": "hello there", "at": now},
    ])
    assert r == IngestResult(status="accepted", next_seq=3, applied=3)
    page = await alice.list_messages(conversation_id=cid, pagination_opts=PAGE)
    # a streaming message is listed without its text; listStreamingMessages carries it
    assert [(m.role, m.status, m.text) for m in page.page] == [("assistant", "streaming", "")]
    live = await alice.list_streaming_messages(conversation_id=cid)
    assert [(s.item_id, s.text, s.next_segment) for s in live] == [("msg_1", "hello there", None)]
    gap = await alice.ingest_events(conversation_id=cid, stream_id="s", seq=9, events=[
        {"type": "turnStarted", "threadId": thread, "turnId": "t2", "at": now}])
    assert gap.status == "gap" and gap.next_seq == 3


async def test_approval_answered_by_a_second_client_reaches_a_subscriber(
        deployment: Deployment, alice: HostApi) -> None:
    thread = _thread()
    cid = (await alice.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
    await alice.ingest_events(conversation_id=cid, stream_id="s", seq=0, events=[
        {"type": "serverRequest", "threadId": thread, "turnId": "t1", "itemId": "call_1", "requestId": "0",
         "method": "item/commandExecution/requestApproval", "paramsJson": "{}", "at": time.time() * 1000}])
    host_view = Subscriber(deployment.url, token=deployment.alice)
    async with ConvexHttp(deployment.url, token=deployment.alice) as other_http:
        other = HostApi(other_http)  # e.g. a web UI of the same user
        with anyio.fail_after(20):
            async for pending in host_view.watch("chat:listPendingServerRequests", {"conversationId": cid}):
                assert len(pending) == 1
                if pending[0]["decisionJson"] is None:
                    await other.respond_server_request(thread_id=thread, turn_id="t1", request_id="0",
                                                       decision="accept")
                else:
                    assert json.loads(pending[0]["decisionJson"]) == {"decision": "accept"}
                    break


async def test_other_user_and_no_user(deployment: Deployment, alice: HostApi, bob: HostApi) -> None:
    thread = _thread()
    cid = (await alice.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
    assert await bob.get_conversation(conversation_id=cid) == NotFound()
    assert await bob.list_pending_server_requests(conversation_id=cid) == []
    with pytest.raises(ConvexApiError) as e:
        await bob.archive_conversation(conversation_id=cid)
    assert e.value.code == "E_CONVERSATION_NOT_FOUND"
    async with ConvexHttp(deployment.url) as anon_http:
        with pytest.raises(ConvexAuthError) as e2:
            await HostApi(anon_http).list_conversations(pagination_opts=PAGE)
    assert e2.value.code == "E_AUTH_REQUIRED"
