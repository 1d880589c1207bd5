"""Codex's plan mode (``send(..., plan=True)``, behind Codex's experimental API): the model explores and proposes a
plan, which Codex streams as a ``plan`` item of its own (``item/plan/delta``) beside the answer. A second client sees
the plan grow live and end as the plan Codex keeps; the next turn without ``plan`` is in the default mode again. A
question the model asks (``request_user_input``, plan mode only) waits in Convex for any client's answer."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import anyio
import pytest

from codex_convex.errors import CodexConvexError, ConvexApiError
from codex_convex.host_api import HostApi
from codex_convex.host_api.reads import read_codex_thread
from codex_convex.runtime import CodexHost, HostConfig
from tests.conftest import Deployment
from tests.support import (
    assert_same_json,
    codex_messages,
    conversation_messages,
    persisted_messages,
    send_watched,
    taken,
)

pytestmark = [pytest.mark.anyio, pytest.mark.codex]

PLAN = "# Plan\n- read the code\n- write the fix\n"


async def test_a_proposed_plan_streams_to_a_second_client_and_the_next_turn_is_default(
        host_config: HostConfig, deployment: Deployment, alice_api: HostApi) -> None:
    config = dataclasses.replace(host_config, experimental_api=True)
    cid, planned, thread, states = await send_watched(config, deployment, "PROPOSE read the code | write the fix",
                                                      "plan", plan=True)
    assert planned.status == "completed" and planned.text == "Here is the plan.\nSay go."  # the plan is not in it
    streaming = [text for status, text in states if status == "streaming" and text]
    assert len(streaming) >= 2 and all(PLAN.startswith(t) for t in streaming), states  # seen growing, not only whole
    assert states[-1] == ("completed", PLAN), states
    assert [i["type"] for i in thread["turns"][0]["items"]].count("plan") == 1
    # Codex keeps the thread's mode, across a restart too: another host's next turn without plan is in the default one
    async with CodexHost(config) as host:
        await host.resume_conversation(cid)
        after = await host.send("PROPOSE run the tests")
        thread = (await host.read_thread())["thread"]
    assert "plan" not in [i["type"] for i in thread["turns"][1]["items"]]
    assert "<proposed_plan>" in after.text  # the default mode leaves the block in the answer
    stored = await persisted_messages(alice_api, cid)
    assert [m.text for m in stored if m.kind == "plan"] == [PLAN]
    assert conversation_messages(stored) == codex_messages(thread)  # the plan before the answer, as Codex lists it
    got = await read_codex_thread(alice_api, thread["id"])
    assert got is not None
    assert_same_json(got, thread)


async def test_plan_mode_without_the_experimental_api_is_refused_and_changes_nothing(
        host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        await host.send("SAY hello")
        before = await persisted_messages(alice_api, cid)
        with pytest.raises(CodexConvexError) as refused:
            await host.send("PROPOSE read the code", plan=True)
        assert refused.value.code == "E_HOST_PLAN_NEEDS_EXPERIMENTAL_API"
        assert "experimental_api=True" in str(refused.value)
        assert len((await host.read_thread())["thread"]["turns"]) == 1  # Codex never saw it
    assert await persisted_messages(alice_api, cid) == before


async def test_a_question_asked_in_plan_mode_is_answered_by_another_client(host_config: HostConfig,
                                                                          alice_api: HostApi) -> None:
    out: dict[str, Any] = {}
    async with CodexHost(dataclasses.replace(host_config, experimental_api=True)) as host:
        cid = await host.new_conversation()

        async def run() -> None:
            out["turn"] = await host.send("ASK which database? | sqlite | postgres", plan=True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            with anyio.fail_after(30):  # a second client (the page, another program) sees the question waiting
                while True:
                    view = await alice_api.get_conversation_view(conversation_id=cid, num_messages=5)
                    if view.found and view.pending_requests:
                        break
                    await anyio.sleep(0.05)
            asked = view.pending_requests[0]
            assert asked.method == "item/tool/requestUserInput"
            [question] = json.loads(asked.params_json)["questions"]
            assert (question["id"], question["question"], [o["label"] for o in question["options"]]) == (
                "choice", "which database?", ["sqlite", "postgres"])
            where = {"thread_id": asked.thread_id, "turn_id": asked.turn_id, "request_id": asked.request_id}
            with pytest.raises(ConvexApiError) as refused:  # a question is not an approval
                await alice_api.respond_server_request(**where, decision="accept")
            assert refused.value.code == "E_REQUEST_BAD_ANSWER"
            await alice_api.respond_server_request(
                **where, response_json=json.dumps({"answers": {"choice": {"answers": ["postgres"]}}}))
    assert out["turn"].status == "completed" and out["turn"].text == "answered: postgres"  # the model got it


async def test_a_client_asks_for_plan_mode_with_its_message(host_config: HostConfig, deployment: Deployment,
                                                            alice_api: HostApi) -> None:
    """A client's message with ``plan`` (the page's Plan box, ``codex-convex send --plan``) starts a plan-mode turn
    on a host with the experimental API; a host without it marks the message failed, saying why, and runs nothing."""
    async with CodexHost(dataclasses.replace(host_config, experimental_api=True)) as host:
        cid = await host.new_conversation()
        sent = await alice_api.send_client_message(conversation_id=cid, text="PROPOSE read the code", plan=True)
        assert sent.plan is True
        got = await taken(deployment, sent.message_id)
        assert got.state == "started"
        await host.send("SAY after")  # waits for the client's turn to end first
        first = (await host.read_thread())["thread"]["turns"][0]
    assert first["id"] == got.turn_id and "plan" in [i["type"] for i in first["items"]]
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        sent = await alice_api.send_client_message(conversation_id=cid, text="PROPOSE read the code", plan=True)
        got = await taken(deployment, sent.message_id)
        assert got.state == "failed" and got.error is not None and "experimental" in got.error
        assert host.lifecycle_state().turn_id is None
    assert await persisted_messages(alice_api, cid) == []  # no turn ran
