"""Stop, resume and a new goal from anywhere: a second client of the user asks, through Convex (``requestInterrupt``),
the host driving a conversation to stop Codex. The host interrupts the running turn, pauses an active goal (else Codex
goes on by itself) and records what it did; ``requestGoalResume`` sets the goal active again (Codex goes on);
``requestGoal`` gives the thread a new goal, active (Codex works toward it); a request made while no host drove the
conversation does not stop the next one's work."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi, HostSubscriptions
from codex_convex.host_api.models import GetConversationViewFound, InterruptRequest
from codex_convex.runtime import CodexHost, HostConfig
from tests.conftest import Deployment
from tests.support import losing_api

pytestmark = [pytest.mark.anyio, pytest.mark.codex]

CODEX_GOAL_MAX_CHARS = 4000  # Codex 0.163 refuses a longer objective ("goal objective must be at most …")


async def cli_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    """``codex-convex ARGS --json`` as another terminal runs it: its JSON, with its exit code as ``exit``."""
    with anyio.fail_after(60):
        done = await anyio.run_process([sys.executable, "-m", "codex_convex", *args, "--json"], env=env, check=False)
    out: dict[str, Any] = json.loads(done.stdout)
    return {**out, "exit": done.returncode}


async def handled(deployment: Deployment, conversation_id: str, request_id: str | None = None) -> InterruptRequest:
    """The conversation's newest interrupt request (the one of ``request_id``, if given) once the host has handled it
    (seen by a subscription)."""
    async with Subscriber(deployment.url, token=deployment.alice) as watcher:
        with anyio.fail_after(30):
            async for req in HostSubscriptions(watcher).get_interrupt_request(conversation_id=conversation_id):
                if req is not None and req.handled_at is not None and request_id in (None, req.request_id):
                    return req
    raise AssertionError("unreachable")


async def test_a_second_client_stops_the_running_turn(host_config: HostConfig, deployment: Deployment) -> None:
    async with CodexHost(host_config) as host, ConvexHttp(deployment.url, token=deployment.alice) as http:
        ui = HostApi(http)
        conversation = await host.new_conversation()
        result: dict[str, Any] = {}

        async def long_turn() -> None:
            result["turn"] = await host.send("SLOW 20")  # 10 deltas over 20 s

        async with anyio.create_task_group() as tg:
            tg.start_soon(long_turn)
            async with Subscriber(deployment.url, token=deployment.alice) as watcher:
                with anyio.fail_after(30):  # the page sees Codex working...
                    async for view in HostSubscriptions(watcher).get_conversation_view(conversation_id=conversation):
                        if not isinstance(view, dict) and getattr(view, "messages", None) and any(
                                m.status == "streaming" for m in view.messages):
                            break
            # ...and the user stops it from another terminal (the page's Stop button asks the same)
            env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice}
            with anyio.fail_after(15):  # well before the turn's 20 s
                said = await anyio.run_process([sys.executable, "-m", "codex_convex", "stop", conversation, "--json"],
                                               env=env, check=False)
        assert said.returncode == 0, said.stderr
        answer = json.loads(said.stdout)
        assert answer["answered"] is True and answer["outcome"] == "interrupted"
        done = await ui.get_interrupt_request(conversation_id=conversation)
        assert done is not None and done.request_id == answer["requestId"] and done.outcome == "interrupted"
        assert result["turn"].status == "interrupted"
        assert host.lifecycle_state().turn_id is None
        assert (await host.send("SAY still here")).text == "echo: SAY still here"  # the next turn runs as ever


async def test_stopping_a_goal_pauses_it_so_codex_does_not_go_on(host_config: HostConfig,
                                                                  deployment: Deployment) -> None:
    async with CodexHost(host_config) as host, ConvexHttp(deployment.url, token=deployment.alice) as http:
        conversation = await host.new_conversation()
        await host.set_goal("keep polishing")  # active: Codex runs turn after turn on its own (never reached here)
        with anyio.fail_after(30):
            async for state in host.subscribe_lifecycle():
                if state.turn_id is not None:
                    break
        await HostApi(http).request_interrupt(conversation_id=conversation)
        assert (await handled(deployment, conversation)).outcome == "interrupted"
        goal = await host.wait_for_goal()  # returns: nothing runs, the goal is not active any more
        assert goal is not None and goal.status.value == "paused"


async def test_a_paused_goal_is_resumed_from_another_terminal_and_codex_goes_on(host_config: HostConfig,
                                                                                deployment: Deployment) -> None:
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice}
    cli = functools.partial(cli_json, env)

    async with CodexHost(host_config) as host:
        conversation = await host.new_conversation()
        nothing = await cli("resume-goal", conversation)
        assert (nothing["outcome"], nothing["exit"]) == ("noGoal", 1)  # nothing to resume
        await host.set_goal("keep polishing", status="paused")  # Codex waits
        turns_before = host.turns.ended_count
        resumed = await cli("resume-goal", conversation)
        assert (resumed["outcome"], resumed["action"], resumed["exit"]) == ("resumed", "resumeGoal", 0)
        with anyio.fail_after(30):  # Codex goes on by itself: a turn nobody sent runs and ends
            await host.turns.wait_ended(turns_before)
        assert (await cli("stop", conversation))["outcome"] == "interrupted"
        goal = await host.wait_for_goal()
        assert goal is not None and goal.status.value == "paused"


async def test_a_second_client_gives_the_thread_a_goal_and_codex_works_toward_it(host_config: HostConfig,
                                                                               deployment: Deployment) -> None:
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice}
    cli = functools.partial(cli_json, env)

    async with CodexHost(host_config) as host, ConvexHttp(deployment.url, token=deployment.alice) as http:
        ui = HostApi(http)
        conversation = await host.new_conversation()
        turns_before = host.turns.ended_count
        asked = await cli("goal", conversation, "keep polishing")  # what the page's goal field asks too
        assert (asked["outcome"], asked["action"], asked["objective"], asked["exit"]) == (
            "goalSet", "setGoal", "keep polishing", 0)
        with anyio.fail_after(30):  # Codex works toward it by itself: a turn nobody sent runs and ends
            await host.turns.wait_ended(turns_before)
        goal = await host.get_goal()
        assert goal is not None and (goal.objective, goal.status.value) == ("keep polishing", "active")
        # another goal, as long as Codex takes, replaces it; the page sees the thread's goal as Codex has it
        longest = "polish the docs " + "y" * (CODEX_GOAL_MAX_CHARS - 16)
        assert (await cli("goal", conversation, longest))["outcome"] == "goalSet"
        with anyio.fail_after(30):
            while True:
                view = await ui.get_conversation_view(conversation_id=conversation)
                goal_now = view.goal if isinstance(view, GetConversationViewFound) else None
                if goal_now is not None and goal_now.objective == longest:
                    break
                await anyio.sleep(0.1)
        assert (await cli("stop", conversation))["outcome"] == "interrupted"
        goal = await host.wait_for_goal()
        assert goal is not None and (goal.objective, goal.status.value) == (longest, "paused")
        # a goal Codex refuses is said so (failed, exit 1), and the thread keeps its goal
        refused = await cli("goal", conversation, "x" * (CODEX_GOAL_MAX_CHARS + 1))
        assert (refused["outcome"], refused["exit"]) == ("failed", 1)
        goal = await host.get_goal()
        assert goal is not None and goal.objective == longest
        # an empty one never reaches the host
        with anyio.fail_after(60):
            empty = await anyio.run_process([sys.executable, "-m", "codex_convex", "goal", conversation, "  ",
                                             "--json"], env=env, check=False)
        assert empty.returncode != 0 and json.loads(empty.stdout)["error"]["code"] == "E_GOAL_OBJECTIVE_EMPTY"
        newest = await ui.get_interrupt_request(conversation_id=conversation)
        assert newest is not None and newest.outcome == "failed"  # the refused goal is still the newest request


async def test_a_request_made_while_no_host_was_there_leaves_the_next_hosts_work_alone(
        host_config: HostConfig, deployment: Deployment) -> None:
    async with CodexHost(host_config) as host:
        conversation = await host.new_conversation()
        await host.send("SAY first")
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        await HostApi(http).request_interrupt(conversation_id=conversation)  # no host drives it now
    async with CodexHost(host_config) as host:
        await host.resume_conversation(conversation)
        assert (await handled(deployment, conversation)).outcome == "stale"
        assert (await host.send("SAY second")).status == "completed"
    # `codex-convex stop` with no host there: the request waits, the command says so
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice}
    with anyio.fail_after(60):
        alone = await anyio.run_process([sys.executable, "-m", "codex_convex", "stop", conversation, "--wait-s", "1",
                                         "--json"], env=env, check=False)
    assert alone.returncode == 1 and json.loads(alone.stdout)["answered"] is False


async def test_a_request_the_host_could_not_carry_out_says_failed(deployment: Deployment, alice_api: HostApi) -> None:
    """One layer (the watch against the deployment, Codex stubbed): a stop whose Codex went away meanwhile is recorded
    `failed`, not a made-up `idle`, and the watch goes on to the next request."""
    from codex_convex.errors import TransportClosedError
    from codex_convex.runtime.interrupts import watch_interrupts

    conversation = (await alice_api.new_conversation()).conversation_id

    async def gone() -> Any:
        raise TransportClosedError("Codex exited")

    async def resumed() -> Any:
        return "resumed"

    watching = anyio.Event()

    class Watched(Subscriber):  # says when the watch has its first answer (no request yet): requests after it count
        async def watch(self, path: str, args: dict[str, Any] | None = None) -> AsyncIterator[Any]:
            async for value in super().watch(path, args):
                yield value
                watching.set()

    async with Watched(deployment.url, token=deployment.alice) as sub, anyio.create_task_group() as tg:
        tg.start_soon(watch_interrupts, alice_api, sub, conversation, gone, resumed, lambda _objective: gone())
        with anyio.fail_after(30):
            await watching.wait()
        await alice_api.request_interrupt(conversation_id=conversation)
        assert (await handled(deployment, conversation)).outcome == "failed"
        asked = await alice_api.request_goal_resume(conversation_id=conversation)
        assert (await handled(deployment, conversation, asked.request_id)).outcome == "resumed"
        tg.cancel_scope.cancel()


async def test_a_mark_whose_answer_was_lost_is_repeated_and_the_watch_goes_on(deployment: Deployment,
                                                                              alice_api: HostApi) -> None:
    """One layer (the watch against the deployment, Codex stubbed): the host's mark ran but its answer was lost on
    the way; the watch repeats it (a mark answers the same when repeated) and answers the next request too, instead of
    ending."""
    from codex_convex.runtime.interrupts import watch_interrupts

    conversation = (await alice_api.new_conversation()).conversation_id
    lossy, wire = losing_api(deployment.url, deployment.alice, {"chat:markInterruptHandled": 1})  # the first mark's

    async def idle() -> Any:
        return "idle"

    async def resumed() -> Any:
        return "resumed"

    async with Subscriber(deployment.url, token=deployment.alice) as sub, anyio.create_task_group() as tg:
        tg.start_soon(watch_interrupts, lossy, sub, conversation, idle, resumed, lambda _o: idle())
        await alice_api.request_interrupt(conversation_id=conversation)
        assert (await handled(deployment, conversation)).outcome == "idle"
        asked = await alice_api.request_goal_resume(conversation_id=conversation)
        assert (await handled(deployment, conversation, asked.request_id)).outcome == "resumed"
        with anyio.fail_after(10):
            await wire.sent_at_least("chat:markInterruptHandled", 3)
        tg.cancel_scope.cancel()
    # the lost one repeated (repeatable in the contract), then the next request
    assert [a["outcome"] for a in wire.args_of("chat:markInterruptHandled")] == ["idle", "idle", "resumed"]
