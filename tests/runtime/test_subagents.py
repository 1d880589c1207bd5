"""Sub-agents (Codex's multi_agent tools, offered by default in 0.163): the model spawns an agent, a thread of its
own whose turns run beside the parent's (Codex sends no ``thread/started`` for it, and ``thread/list`` leaves it
out). Each lands in a conversation of its own, linked to the parent's (``parentConversationId``,
``listConversationAgents``); its approvals show with the parent's pending requests and are answered from any
client like the parent's; it reads back equal to Codex's own ``thread/read``."""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio
import pytest

from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi, HostSubscriptions
from codex_convex.host_api.models import GetConversationFound, NotFound, PaginationOpts
from codex_convex.host_api.reads import read_codex_thread
from codex_convex.runtime import CodexHost, HostConfig, HostMode, ServerRequestInfo, watch_deletion
from tests.conftest import Deployment
from tests.support import assert_same_json, persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.codex]

TASK = "RUN echo child > child.txt"


async def accept(info: ServerRequestInfo) -> str:
    return "accept"


async def test_a_sub_agent_lands_in_its_own_conversation_linked_to_the_parents(host_config: HostConfig,
                                                                               alice_api: HostApi) -> None:
    asked: list[ServerRequestInfo] = []

    async def accept_and_note(info: ServerRequestInfo) -> str:
        asked.append(info)
        return "accept"

    host_config.on_server_request = accept_and_note
    async with CodexHost(host_config) as host:
        parent = await host.new_conversation()
        r = await host.send(f"AGENT {TASK}")
        assert (r.status, r.text) == ("completed", f"agent done: {TASK}")
        assert (host_config.cwd / "child.txt").read_text() == "child\n"  # its command ran: the approval went through
        [agent] = await alice_api.list_conversation_agents(conversation_id=parent)
        assert agent.parent_conversation_id == parent and agent.thread_id is not None
        assert agent.thread_id != host.thread_id and (agent.title or "").endswith(f": {TASK}")
        assert [a.thread_id for a in asked] == [agent.thread_id]  # the approval was the sub-agent's
        assert asked[0].conversation_id == agent.conversation_id
        # the parent's conversation shows the spawn and the wait; the agent's, what it did
        mine = [(m.role, m.kind, m.summary) for m in await persisted_messages(alice_api, parent)]
        assert ("tool", "collabAgentToolCall", "spawnAgent") in mine
        theirs = await persisted_messages(alice_api, agent.conversation_id)
        assert [(m.role, m.kind, m.text) for m in theirs] == [
            ("user", "userMessage", TASK), ("tool", "commandExecution", ""),
            ("assistant", "agentMessage", f"ran: {TASK.removeprefix('RUN ')}")]
        assert all(m.status == "completed" for m in theirs)
        want = (await host.read_thread(agent.thread_id))["thread"]
        got = await read_codex_thread(alice_api, agent.thread_id)
        assert got is not None
        assert_same_json(got, want)  # lossless, as the bound thread
        assert want["parentThreadId"] == host.thread_id
        # the parent's own conversation is untouched by the agent's events
        found = await alice_api.get_conversation(conversation_id=parent)
        assert isinstance(found, GetConversationFound) and found.conversation.parent_conversation_id is None
        assert await alice_api.list_conversation_agents(conversation_id=agent.conversation_id) == []


async def test_a_sub_agents_approval_shows_with_the_parents_and_is_answered_from_a_second_client(
        host_config: HostConfig, deployment: Deployment, alice_api: HostApi) -> None:
    # No Python handler: the host waits for a decision written to Convex by another client watching the parent.
    watcher = Subscriber(deployment.url, token=deployment.alice)
    async with CodexHost(host_config) as host:
        parent = await host.new_conversation()
        result: dict[str, Any] = {}

        async def run_turn() -> None:
            result["turn"] = await host.send(f"AGENT {TASK}")

        async with anyio.create_task_group() as tg:
            tg.start_soon(run_turn)
            with anyio.fail_after(30):
                async for pending in watcher.watch("chat:listPendingServerRequests", {"conversationId": parent}):
                    if pending:
                        req = pending[0]
                        break
            assert req["method"] == "item/commandExecution/requestApproval"
            assert req["conversationId"] != parent and req["threadId"] != host.thread_id  # the sub-agent's
            async with ConvexHttp(deployment.url, token=deployment.alice) as ui:
                await HostApi(ui).respond_server_request(thread_id=req["threadId"], turn_id=req["turnId"],
                                                         request_id=req["requestId"], decision="accept")
    assert result["turn"].status == "completed"
    assert (host_config.cwd / "child.txt").read_text() == "child\n"
    stored = await alice_api.get_server_request(thread_id=req["threadId"], turn_id=req["turnId"],
                                                request_id=req["requestId"])
    assert stored is not None and stored.status == "answered" and stored.conversation_id == req["conversationId"]
    assert await alice_api.list_pending_server_requests(conversation_id=parent) == []


async def test_deleting_a_thread_deletes_its_sub_agents_conversation_too(host_config: HostConfig,
                                                                         deployment: Deployment,
                                                                         alice_api: HostApi) -> None:
    host_config.on_server_request = accept
    async with CodexHost(host_config) as host:
        parent = await host.new_conversation()
        await host.send(f"AGENT {TASK}")
        parent_thread = host.thread_id
    assert parent_thread is not None
    [agent] = await alice_api.list_conversation_agents(conversation_id=parent)
    assert agent.thread_id is not None
    preview = await alice_api.preview_deletion(thread_id=parent_thread)
    assert preview.counts["sub_agents"] == 1
    with anyio.fail_after(120):
        dry = await anyio.run_process([sys.executable, "-m", "codex_convex", "delete", parent_thread, "--dry-run"],
                                      env={**os.environ, "CONVEX_URL": deployment.url,
                                           "CONVEX_TOKEN": deployment.alice}, check=False)
    assert dry.returncode == 0, dry.stderr
    said = " ".join((dry.stdout + dry.stderr).decode().split())
    assert "its 1 sub-agent conversation (with everything in them) would be deleted" in said
    async with Subscriber(deployment.url, token=deployment.alice) as ui:
        job = await alice_api.delete_thread(thread_id=parent_thread)
        with anyio.fail_after(60):
            async for status in watch_deletion(ui, job.job_id):
                final = status
        assert final.phase == "completed" and final.counts["sub_agents"] == 1
        # a second client watching the sub-agent's conversation sees it go: its own deletion job ran
        with anyio.fail_after(60):
            async for got in HostSubscriptions(ui).get_conversation(conversation_id=agent.conversation_id):
                if isinstance(got, NotFound):
                    break
    assert await read_codex_thread(alice_api, agent.thread_id) is None
    assert await alice_api.list_pending_server_requests(conversation_id=agent.conversation_id) == []
    jobs = await alice_api.list_deletion_jobs(pagination_opts=PaginationOpts(num_items=10, cursor=None))
    mine = {j.target.thread_id: j.phase for j in jobs.page if getattr(j.target, "thread_id", None) in
            (parent_thread, agent.thread_id)}
    assert mine == {parent_thread: "completed", agent.thread_id: "completed"}


async def test_importing_a_codex_home_brings_its_sub_agents_linked_to_their_parents(host_config: HostConfig,
                                                                                    alice_api: HostApi) -> None:
    local = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY,
                       on_server_request=accept)
    async with CodexHost(local) as codex:
        await codex.new_conversation()
        await codex.send(f"AGENT {TASK}")
        parent_thread = codex.thread_id
        ids = await codex.thread_ids()  # sub-agents too (thread/list alone leaves them out)
    assert parent_thread is not None and len(ids) == 2 and parent_thread in ids
    [agent_thread] = [i for i in ids if i != parent_thread]
    async with CodexHost(host_config) as host:
        results = {tid: await host.import_local_thread(tid) for tid in ids}  # newest first: the sub-agent first
        assert all(r.state == "synced" for r in results.values()), results
        for tid in ids:
            want = (await host.read_thread(tid))["thread"]
            got = await read_codex_thread(alice_api, tid)
            assert got is not None
            assert_same_json(got, want)
    parent = results[parent_thread].conversation_id
    [agent] = await alice_api.list_conversation_agents(conversation_id=parent)
    assert (agent.conversation_id, agent.thread_id) == (results[agent_thread].conversation_id, agent_thread)
