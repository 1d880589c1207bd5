"""Incremental re-sync with the real Codex: a thread that grew sends only its new turns; a rollback or a rewrite
is found by the prefix hash and replaced from where the thread changed; an unchanged thread sends nothing. Each
ends equal to Codex's own ``thread/read``; the records sent are counted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.events import canonical_json, goal_event
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import GetConversationFound
from codex_convex.host_api.reads import read_codex_thread
from codex_convex.runtime import CodexHost, HostConfig, HostMode, ServerRequestInfo
from codex_convex.sync.records import header_records, turn_records
from tests.conftest import Deployment
from tests.support import assert_same_json

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def accept(info: ServerRequestInfo) -> str:
    return "accept"


def local(host_config: HostConfig) -> HostConfig:
    return HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY,
                      on_server_request=accept)


def records_of(thread: dict[str, Any], from_turn: int) -> int:
    """Records a sync sends: the thread's header (with its goal record: "none" here), then the turns from
    ``from_turn``."""
    return len(header_records(thread, goal_event(thread["id"], None, 0))) + sum(len(list(turn_records(thread["id"], t)))
                                             for t in thread["turns"][from_turn:])


async def sync_and_check(host: CodexHost, api: HostApi, thread_id: str) -> Any:
    """Sync, then check the deployment holds the thread as Codex had it during the sync: as read just before it, or
    just after (Codex may still touch a thread after a turn ended, e.g. its updatedAt after a compaction)."""
    before = (await host.read_thread(thread_id))["thread"]
    result = await host.import_local_thread(thread_id)
    assert result.state == "synced", result.error
    want = (await host.read_thread(thread_id))["thread"]
    got = await read_codex_thread(api, thread_id)
    assert got is not None
    if canonical_json(got) != canonical_json(before):
        assert_same_json(got, want)
    return result, want


async def test_append_rollback_compaction_each_send_only_what_changed(host_config: HostConfig,
                                                                     alice_api: HostApi) -> None:
    async with CodexHost(local(host_config)) as codex:
        await codex.new_conversation()
        for prompt in ["one", "RUN echo two > two.txt", "three"]:
            await codex.send(prompt)
        thread_id = codex.thread_id
        assert thread_id is not None
        async with CodexHost(host_config) as host:
            first, _ = await sync_and_check(host, alice_api, thread_id)
            assert first.kind == "new" and first.turns_sent == 3

            again, _ = await sync_and_check(host, alice_api, thread_id)
            assert again.kind == "up_to_date" and again.job_id is None and again.records == 0

            await codex.send("four: one more turn")
            appended, thread = await sync_and_check(host, alice_api, thread_id)
            assert appended.kind == "appended" and appended.from_turn == 3 and appended.turns_sent == 1
            assert appended.records == records_of(thread, 3)  # the header and the new turn, nothing else

            await codex.rollback_thread(2)  # Codex drops turns 3 and 4
            await codex.send("five, after the rollback")
            replaced, thread = await sync_and_check(host, alice_api, thread_id)
            assert len(thread["turns"]) == 3
            assert replaced.kind == "replaced" and replaced.from_turn == 2 and replaced.turns_sent == 1
            assert replaced.records == records_of(thread, 2)

            await codex.compact_thread()
            compacted, thread = await sync_and_check(host, alice_api, thread_id)
            assert compacted.kind == "appended" and compacted.from_turn == 3
            assert any(it["type"] == "contextCompaction" for it in thread["turns"][-1]["items"])


async def test_a_fork_synced_before_its_parent_links_when_the_parent_arrives(host_config: HostConfig,
                                                                              alice_api: HostApi) -> None:
    async with CodexHost(local(host_config)) as codex:
        await codex.new_conversation()
        await codex.send("parent turn")
        parent = codex.thread_id
        assert parent is not None
        await codex.fork_thread(parent)
        await codex.send("fork turn")
        fork = codex.thread_id
        assert fork is not None
        async with CodexHost(host_config) as host:
            fork_result, _ = await sync_and_check(host, alice_api, fork)
            parent_result, _ = await sync_and_check(host, alice_api, parent)
    got = await alice_api.get_conversation(conversation_id=fork_result.conversation_id)
    assert isinstance(got, GetConversationFound)
    assert got.conversation.forked_from_conversation_id == parent_result.conversation_id
    forks = await alice_api.list_conversation_forks(conversation_id=parent_result.conversation_id)
    assert [c.conversation_id for c in forks] == [fork_result.conversation_id]


@pytest.mark.timeout(180)
def test_sync_watch_follows_codex_home(tmp_path: Path, host_config: HostConfig, deployment: Deployment) -> None:
    """``sync --watch`` syncs a thread again (only its new turn) when Codex writes to it, with no polling."""

    async def make_thread() -> str:
        async with CodexHost(local(host_config)) as codex:
            await codex.new_conversation()
            await codex.send("watched")
            assert codex.thread_id is not None
            return codex.thread_id

    thread_id = anyio.run(make_thread)
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice,
           "CODEX_HOME": str(host_config.codex_home)}
    proc = subprocess.Popen([sys.executable, "-m", "codex_convex", "sync", thread_id, "--watch", "--json"], env=env,
                            cwd=host_config.cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["kind"] == "new" and first["state"] == "synced"

        async def one_more() -> None:
            async with CodexHost(local(host_config)) as codex:
                await codex.resume_thread(thread_id)
                await codex.send("another turn, while watched")

        anyio.run(one_more)

        async def stored() -> dict[str, Any] | None:
            from codex_convex.convex_api import ConvexHttp

            async with ConvexHttp(deployment.url, token=deployment.alice) as http:
                return await read_codex_thread(HostApi(http), thread_id)

        seen: list[dict[str, Any]] = []
        while True:  # the watch may sync the change in more than one go (a turn is written as it runs)
            line = json.loads(proc.stdout.readline())
            seen.append(line)
            assert line["state"] == "synced", line
            got = anyio.run(stored)
            if got is not None and len(got["turns"]) == 2 and got["turns"][-1]["status"] == "completed":
                break
        # only what changed went: never the first turn again (a sync while the turn was being written may see it
        # unfinished, or finished before its last item landed; the next one appends or replaces from turn 1)
        summary = [(r["kind"], r["from_turn"], r["turns_sent"]) for r in seen]
        assert all(kind in ("appended", "replaced", "up_to_date") for kind, _, _ in summary), summary
        assert all(start >= 1 for kind, start, _ in summary if kind != "up_to_date"), summary
        assert any(kind == "appended" and start == 1 for kind, start, _ in summary), summary
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    async def fresh_read() -> dict[str, Any]:  # as the watcher's Codex read it: the thread not loaded
        async with CodexHost(local(host_config)) as codex:
            thread: dict[str, Any] = (await codex.read_thread(thread_id))["thread"]
            return thread

    got = anyio.run(stored)
    assert got is not None
    assert_same_json(got, anyio.run(fresh_read))
