"""Goals (Codex 0.163 offers its model create_goal/update_goal by default): with a goal active, Codex goes on by
itself, turn after turn (each ``rootTurnId`` the turn that set the goal), until the goal is complete. Those turns
are the thread's like any: replicated live, settled from Codex's record though no caller waits for them, reading
back equal to ``thread/read``; a second client sees them come, and the goal (``goal`` in the conversation view) as
Codex last reported it."""

from __future__ import annotations

import anyio
import pytest

from codex_convex.convex_api import Subscriber
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import GetConversationViewFound
from codex_convex.host_api.reads import read_codex_thread
from codex_convex.runtime import CodexHost, HostConfig, HostMode
from tests.conftest import Deployment
from tests.support import assert_same_json, page_opts, persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def test_the_turns_codex_runs_for_a_goal_replicate_like_any(host_config: HostConfig, deployment: Deployment,
                                                                  alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host, Subscriber(deployment.url, token=deployment.alice) as ui:
        conversation = await host.new_conversation()
        r = await host.send("GOAL ship the review feature")
        assert r.text == "goal set: ship the review feature"
        # Codex goes on by itself: a second client sees the turn it started, and the goal reached
        with anyio.fail_after(30):
            async for view in ui.watch("chat:getConversationView", {"conversationId": conversation,
                                                                    "numMessages": 20}):
                shown = [(m["text"], m["status"]) for m in (view or {}).get("messages", [])]
                if ("goal complete: ship the review feature", "completed") in shown:
                    break
        goal = await host.wait_for_goal()  # until Codex stops going on by itself
        assert goal is not None and goal.status.value == "complete"
        want = (await host.read_thread())["thread"]
        seen = await alice_api.get_conversation_view(conversation_id=conversation)
        assert isinstance(seen, GetConversationViewFound) and seen.goal is not None
        assert (seen.goal.objective, seen.goal.status, seen.goal.tokens_used) == (
            "ship the review feature", "complete", goal.tokens_used)
    first, continued = want["turns"]
    assert continued["rootTurnId"] == first["id"] and continued["status"] == "completed"
    turns = await alice_api.list_turns(thread_id=want["id"], pagination_opts=page_opts())
    assert [(t.turn_id, t.status) for t in turns.page] == [(first["id"], "completed"), (continued["id"], "completed")]
    shown = [(m.role, m.text) for m in await persisted_messages(alice_api, conversation)]
    assert shown == [("user", "GOAL ship the review feature"), ("assistant", "goal set: ship the review feature"),
                     ("assistant", "goal complete: ship the review feature")]
    got = await read_codex_thread(alice_api, want["id"])
    assert got is not None
    assert_same_json(got, want)  # the thread's JSON too: settled after the turn no caller waited for


async def test_a_goal_set_paused_and_cleared_from_the_host_shows_in_the_conversation(
        host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        conversation = await host.new_conversation()
        goal = await host.set_goal("tidy the docs", status="paused", token_budget=5000)  # paused: Codex waits
        assert (goal.objective, goal.status.value, goal.token_budget) == ("tidy the docs", "paused", 5000)
        view = await alice_api.get_conversation_view(conversation_id=conversation)
        assert isinstance(view, GetConversationViewFound) and view.goal is not None
        assert (view.goal.objective, view.goal.status, view.goal.token_budget) == ("tidy the docs", "paused", 5000)
        snap = await anext(aiter(host.watch_conversation()))
        assert snap.goal is not None and snap.goal.status == "paused"
        assert await host.clear_goal() is True
        assert await host.get_goal() is None
        view = await alice_api.get_conversation_view(conversation_id=conversation)
        assert isinstance(view, GetConversationViewFound) and view.goal is None


async def test_an_imported_thread_brings_its_goal_and_a_later_sync_follows_it(host_config: HostConfig,
                                                                             alice_api: HostApi) -> None:
    """A thread whose goal was set with no deployment (codex-only) gets it on import; a sync after the goal alone
    changed (no new turn, the thread's JSON the same) is not "up to date": it carries the new goal."""
    local = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY)
    async with CodexHost(local) as host:
        await host.new_conversation()
        await host.send("SAY before the goal")
        await host.set_goal("tidy the docs", status="paused", token_budget=5000)
        thread_id = host.thread_id
    async with CodexHost(host_config) as host:
        first = await host.import_local_thread(thread_id)
        assert first.state == "synced", first.error
        view = await alice_api.get_conversation_view(conversation_id=first.conversation_id)
        assert isinstance(view, GetConversationViewFound) and view.goal is not None
        assert (view.goal.objective, view.goal.status, view.goal.token_budget) == ("tidy the docs", "paused", 5000)
        await host.request("thread/goal/clear", {"threadId": thread_id})  # the thread is not bound: nothing replicates
        again = await host.import_local_thread(thread_id)
        assert again.state == "synced" and again.kind == "appended" and again.turns_sent == 0
        view = await alice_api.get_conversation_view(conversation_id=first.conversation_id)
        assert isinstance(view, GetConversationViewFound) and view.goal is None
        unchanged = await host.import_local_thread(thread_id)
        assert unchanged.kind == "up_to_date"
