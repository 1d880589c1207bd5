"""Send from anywhere: a second client of the user gives, through Convex (``sendClientMessage``), the host driving a
conversation a message. The host starts a turn with it when Codex is idle, or steers the running turn with it, and
records which (with the turn's id); another client's subscription sees the turn as for any other. A message sent while
no host had the conversation open is not run by the next one (``stale``); one a host took and never said what it did
with is ``unconfirmed`` once another host binds the conversation (it may have run)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.errors import CodexConvexError
from codex_convex.host_api import HostApi, HostSubscriptions
from codex_convex.runtime import CodexHost, HostConfig, watch_conversation
from tests.conftest import Deployment
from tests.support import losing_api, taken

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def view_until(deployment: Deployment, conversation_id: str, done: Any) -> Any:
    """The conversation's view, from a second client's subscription, once ``done(view)`` holds."""
    async with Subscriber(deployment.url, token=deployment.alice) as watcher:
        with anyio.fail_after(60):
            async for view in HostSubscriptions(watcher).get_conversation_view(conversation_id=conversation_id):
                if getattr(view, "found", False) and done(view):
                    return view
    raise AssertionError("unreachable")


async def test_a_message_from_another_client_starts_a_turn_when_codex_is_idle(host_config: HostConfig,
                                                                               deployment: Deployment) -> None:
    async with CodexHost(host_config) as host, ConvexHttp(deployment.url, token=deployment.alice) as http:
        conversation = await host.new_conversation()
        sent = await HostApi(http).send_client_message(conversation_id=conversation, text="SAY hello from the page")
        assert sent.state == "queued"
        got = await taken(deployment, sent.message_id)
        assert got.state == "started" and got.turn_id is not None

        def answered(view: Any) -> bool:
            return any(m.role == "assistant" and m.status == "completed" and m.text == "echo: SAY hello from the page"
                       for m in view.messages)

        view = await view_until(deployment, conversation, answered)
        users = [m for m in view.messages if m.role == "user"]
        assert [(m.text, m.turn_id) for m in users] == [("SAY hello from the page", got.turn_id)]
        # the host's own next turn waits for the client's to end, then runs as ever
        assert (await host.send("SAY and mine")).text == "echo: SAY and mine"
        thread = (await host.read_thread())["thread"]
        assert thread["turns"][0]["id"] == got.turn_id


async def test_a_message_sent_while_a_turn_runs_steers_that_turn(host_config: HostConfig,
                                                                 deployment: Deployment) -> None:
    async with CodexHost(host_config) as host, ConvexHttp(deployment.url, token=deployment.alice) as http:
        conversation = await host.new_conversation()
        result: dict[str, Any] = {}

        async def long_turn() -> None:
            result["turn"] = await host.send("SLOW 4")

        async with anyio.create_task_group() as tg:
            tg.start_soon(long_turn)
            with anyio.fail_after(30):
                async for state in host.subscribe_lifecycle():
                    if state.turn_id is not None:
                        break
            running = host.lifecycle_state().turn_id
            sent = await HostApi(http).send_client_message(conversation_id=conversation, text="SAY steered in")
            got = await taken(deployment, sent.message_id)
            assert (got.state, got.turn_id) == ("steered", running)
        assert result["turn"].status == "completed" and result["turn"].turn_id == running
        thread = (await host.read_thread())["thread"]
        assert len(thread["turns"]) == 1  # no turn of its own: it went into the running one
        said = [c["text"] for i in thread["turns"][0]["items"] if i["type"] == "userMessage" for c in i["content"]]
        assert said == ["SLOW 4", "SAY steered in"]
        view = await view_until(deployment, conversation, lambda v: sum(m.role == "user" for m in v.messages) == 2)
        assert [m.text for m in view.messages if m.role == "user"] == ["SAY steered in", "SLOW 4"]  # newest first


async def test_a_message_no_host_had_open_is_not_run_by_the_next_host(host_config: HostConfig,
                                                                      deployment: Deployment) -> None:
    async with CodexHost(host_config) as host, ConvexHttp(deployment.url, token=deployment.alice) as http:
        first = await host.new_conversation()
        await host.send("SAY first")
        await host.new_conversation()  # the host moves on: still online, but nobody has `first` open
        sent = await HostApi(http).send_client_message(conversation_id=first, text="SAY too late")
        with anyio.fail_after(2):
            assert (await HostApi(http).get_client_message(message_id=sent.message_id)).state == "queued"  # type: ignore[union-attr]
        async with Subscriber(deployment.url, token=deployment.alice) as watcher:
            snapshots = watch_conversation(watcher, first)
            with anyio.fail_after(30):
                snap = await anext(snapshots)  # a Python client's snapshot lists what waits for the host
                assert [(m.message_id, m.text, m.state) for m in snap.queued] == [(sent.message_id, "SAY too late",
                                                                                    "queued")]
                await host.resume_conversation(first)
                async for snap in snapshots:
                    if not snap.queued:  # marked stale by the bind: no longer waiting
                        break
            await snapshots.aclose()  # type: ignore[attr-defined]
        assert (await taken(deployment, sent.message_id)).state == "stale"
        thread = (await host.read_thread())["thread"]
        assert len(thread["turns"]) == 1  # not run


async def test_a_message_its_host_took_but_never_marked_is_unconfirmed_not_stale(host_config: HostConfig,
                                                                                 deployment: Deployment) -> None:
    """A host that crashes between giving a message to Codex and saying so: the next host to bind the conversation
    cannot know whether it ran, so the message says ``unconfirmed`` (``stale`` would say it did not run) and is not run
    again; ``codex-convex send`` would report it as not confirmed."""
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        api = HostApi(http)
        async with CodexHost(host_config) as host:
            first = await host.new_conversation()
            await host.send("SAY first")
            await host.new_conversation()  # the host moves on, so the test can take the message as that host would
            sent = await api.send_client_message(conversation_id=first, text="SAY maybe ran")
            took = await api.take_client_message(message_id=sent.message_id)  # ... and then it is gone
            assert took.state == "taking"
            with pytest.raises(CodexConvexError) as again:
                await api.take_client_message(message_id=sent.message_id)
            assert again.value.code == "E_CLIENT_MESSAGE_NOT_QUEUED"  # taken once: no second host runs it
        async with CodexHost(host_config) as other:  # another host session binds the conversation
            await other.resume_conversation(first)
            done = await taken(deployment, sent.message_id)
            assert (done.state, done.turn_id) == ("unconfirmed", None)
            thread = (await other.read_thread())["thread"]
            assert len(thread["turns"]) == 1  # not run again


async def test_a_message_arriving_as_the_host_starts_its_own_turn_leaves_that_turn_to_the_host(
        host_config: HostConfig, deployment: Deployment) -> None:
    """Codex merges a turn/start made while a turn runs into that turn: whichever comes first, the host's own send
    gets its own turn's result, and the message says where it went (steered into the host's turn, or a turn of its
    own that ran before the host's)."""
    async with CodexHost(host_config) as host, ConvexHttp(deployment.url, token=deployment.alice) as http:
        conversation = await host.new_conversation()
        for i in range(3):
            result: dict[str, Any] = {}

            async def own(i: int = i, result: dict[str, Any] = result) -> None:
                result["turn"] = await host.send(f"SAY own {i}")

            async with anyio.create_task_group() as tg:
                tg.start_soon(own)
                sent = await HostApi(http).send_client_message(conversation_id=conversation, text=f"SAY client {i}")
            got = await taken(deployment, sent.message_id)
            mine = result["turn"]
            assert mine.status == "completed" and mine.text.startswith("echo: SAY ")
            turns = (await host.read_thread())["thread"]["turns"]
            said = {t["id"]: [c["text"] for it in t["items"] if it["type"] == "userMessage" for c in it["content"]]
                    for t in turns}
            assert f"SAY own {i}" in said[mine.turn_id]
            assert got.turn_id is not None and f"SAY client {i}" in said[got.turn_id]
            if got.state == "steered":
                assert got.turn_id == mine.turn_id
            else:
                assert got.state == "started" and got.turn_id != mine.turn_id
            with anyio.fail_after(30):  # a turn of the client's own ends by itself; the next round starts from idle
                async for state in host.subscribe_lifecycle():
                    if state.turn_id is None:
                        break


async def test_a_take_whose_answer_was_lost_is_repeated_and_the_message_still_runs(deployment: Deployment,
                                                                                   alice_api: HostApi) -> None:
    """One layer (the watch against the deployment, Codex stubbed): the take ran but its answer was lost on the way
    (the connection dropped after it ran); ConvexHttp repeats it (repeatable in the contract) with its host session,
    gets the message it took, runs it and marks it, instead of leaving it taken forever; a session that no longer
    drives the conversation cannot take one."""
    from codex_convex.runtime.client_messages import watch_client_messages

    session = await alice_api.open_host_session(host_id="lossy", label="lossy", version="1")
    conversation = (await alice_api.sync_open_conversation_binding(
        thread_id="th-lossy", host_session_id=session.session_id)).conversation.conversation_id
    ran: list[str] = []

    lossy, wire = losing_api(deployment.url, deployment.alice, {"chat:takeClientMessage": 1})  # the first take's

    async def run(text: str, plan: bool) -> Any:
        ran.append(text)
        return "started", "turn-1"

    async with Subscriber(deployment.url, token=deployment.alice) as sub, anyio.create_task_group() as tg:
        tg.start_soon(watch_client_messages, lossy, sub, conversation, run, session.session_id)
        sent = await alice_api.send_client_message(conversation_id=conversation, text="SAY once")
        done = await taken(deployment, sent.message_id)
        assert (done.state, done.turn_id, ran) == ("started", "turn-1", ["SAY once"])
        assert len(wire.args_of("chat:takeClientMessage")) == 2  # the lost one, sent again (repeatable)
        tg.cancel_scope.cancel()
    other = await alice_api.open_host_session(host_id="elsewhere", label="elsewhere", version="1")
    late = await alice_api.send_client_message(conversation_id=conversation, text="SAY not yours")
    with pytest.raises(CodexConvexError) as refused:
        await alice_api.take_client_message(message_id=late.message_id, host_session_id=other.session_id)
    assert refused.value.code == "E_HOST_NOT_DRIVING"
