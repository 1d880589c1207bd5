"""Answers lost on the way (the connection dropped after the deployment ran the call): a mutation the host contract
marks ``repeatable`` is sent again and answers the same, its effect once; any other mutation is not sent again (it
may have run) and the caller is told (``ConvexTransportError``)."""

from __future__ import annotations

import json
import uuid
from importlib import resources
from typing import Any

import pytest

from codex_convex.convex_api import Subscriber
from codex_convex.errors import ConflictError, ConvexTransportError
from codex_convex.host_api import HostApi
from codex_convex.sync import import_thread
from codex_convex.sync.importer import UPLOAD_CONCURRENCY
from tests.conftest import Deployment
from tests.support import (
    codex_messages,
    conversation_messages,
    losing_api,
    page_opts,
    pending_approval,
    persisted_messages,
)

pytestmark = [pytest.mark.anyio]


async def test_a_repeatable_answer_lost_on_the_way_is_sent_again_and_answers_the_same(deployment: Deployment,
                                                                                      alice_api: HostApi) -> None:
    await pending_approval(alice_api, "th-repeat")
    lossy, wire = losing_api(deployment.url, deployment.alice, {"chat:respondServerRequest": 1})
    got = await lossy.respond_server_request(thread_id="th-repeat", turn_id="t1", request_id="7", decision="accept")
    assert len(wire.args_of("chat:respondServerRequest")) == 2  # ran, answer lost, sent again
    assert got.decision_json is not None and json.loads(got.decision_json) == {"decision": "accept"}
    # the first answer still wins: another one is refused and the stored one stands
    with pytest.raises(ConflictError) as refused:
        await alice_api.respond_server_request(thread_id="th-repeat", turn_id="t1", request_id="7", decision="decline")
    assert refused.value.code == "E_REQUEST_ALREADY_ANSWERED"
    row = await alice_api.get_server_request(thread_id="th-repeat", turn_id="t1", request_id="7")
    assert row is not None and row.decision_json == got.decision_json and row.answered_by == got.answered_by


async def test_another_mutations_lost_answer_is_not_sent_again_and_is_said(deployment: Deployment,
                                                                          alice_api: HostApi) -> None:
    before = {c.conversation_id for c in (await alice_api.list_conversations(pagination_opts=page_opts())).page}
    lossy, wire = losing_api(deployment.url, deployment.alice, {"chat:newConversation": 1})
    with pytest.raises(ConvexTransportError):
        await lossy.new_conversation()
    assert len(wire.args_of("chat:newConversation")) == 1
    after = {c.conversation_id for c in (await alice_api.list_conversations(pagination_opts=page_opts())).page}
    assert len(after - before) == 1  # it ran, once: the caller is told its answer is unknown


async def test_a_sync_whose_every_first_answer_is_lost_completes_with_each_chunk_once(deployment: Deployment,
                                                                                         alice_api: HostApi) -> None:
    """The source's start, the first chunks' appends and the seal each ran, then lost their answers: the sync goes on
    (each sent again answers with the same outcome) and the thread reads back whole, once."""
    tid = f"lossy-sync-{uuid.uuid4()}"
    turns = [{"id": f"turn-{i}", "status": "completed", "error": None, "items": [
        {"type": "userMessage", "id": f"u{i}", "content": [{"type": "text", "text": f"question {i}"}]},
        {"type": "agentMessage", "id": f"m{i}", "text": f"answer {i} " + "x" * 300_000}]} for i in range(6)]

    thread = {"id": tid, "preview": "question 0", "turns": turns}

    async def read(method: str, params: dict[str, Any]) -> Any:
        return {"thread": thread}

    lossy, wire = losing_api(deployment.url, deployment.alice, {
        "chat:startConversationSyncSource": 1, "chat:appendConversationSyncSourceChunk": UPLOAD_CONCURRENCY,
        "chat:sealConversationSyncSource": 1})
    async with Subscriber(deployment.url, http=alice_api.http) as subscriber:
        done = await import_thread(read, lossy, subscriber, tid)
    assert done.state == "synced", done
    appended = [a["chunkIndex"] for a in wire.args_of("chat:appendConversationSyncSourceChunk")]
    assert len(appended) > len(set(appended)) > 1  # several chunks, some sent twice
    assert len(wire.args_of("chat:startConversationSyncSource")) == 2
    assert len(wire.args_of("chat:sealConversationSyncSource")) == 2
    assert conversation_messages(await persisted_messages(alice_api, done.conversation_id)) == codex_messages(thread)


def test_the_contract_says_which_mutations_are_repeatable() -> None:
    """Every query is; a mutation only when the component answers it the same when repeated (above, and the runtime
    tests of each watch); the generated API sends exactly those with ``repeatable=True``."""
    contract = json.loads(resources.files("codex_convex.host_api._generated").joinpath("host-contract.json")
                          .read_text(encoding="utf-8"))
    eps = contract["endpoints"]
    assert all(ep["repeatable"] for ep in eps.values() if ep["kind"] == "query")
    repeatable = {name for name, ep in eps.items() if ep["kind"] == "mutation" and ep["repeatable"]}
    assert "ingestEvents" not in repeatable and "sendClientMessage" not in repeatable
    source = resources.files("codex_convex.host_api._generated").joinpath("endpoints.py").read_text(encoding="utf-8")
    sent_repeatable = {line.split('"chat:')[1].split('"')[0] for line in source.splitlines()
                       if "repeatable=True" in line}
    assert sent_repeatable == repeatable and repeatable
