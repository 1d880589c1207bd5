"""Lossless round trip: what the deployment holds rebuilds Codex's own ``thread/read`` exactly (canonical JSON),
for imported threads and for threads replicated live, of every kind: text and unicode, approved and declined
commands, file changes, reasoning, a web search, an image the model viewed, a failed and an interrupted turn, a 1.5 MB
message, a name longer than a title holds (the conversation's title is its first TITLE_MAX_CHARS; the thread keeps it
whole), a compaction, a fork, an archived thread; and a thread whose first message (Codex's preview) is huge."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from codex_convex.host_api import HostApi
from codex_convex.host_api.limits import PREVIEW_MAX_CHARS, TITLE_MAX_CHARS
from codex_convex.host_api.models import GetConversationFound
from codex_convex.host_api.reads import read_codex_thread
from codex_convex.runtime import CodexHost, HostConfig, HostMode, ServerRequestInfo
from tests.support import DOT_PNG, assert_same_json

pytestmark = [pytest.mark.anyio, pytest.mark.codex]

PROMPTS = ["hello round trip", "ünïcödé ✓ 日本語 🚀 \u00e9", "RUN echo hi > f.txt", "RUN echo no > declined.txt",
           "PATCH notes.md hi", "THINK plan it | then do it", "SEARCH convex limits", "VIEW dot.png", "HTTP 500",
           "BIG 1500000", "after all that"]
NAME = "round trip ✓ " + "🚀 a long name " * 40  # > TITLE_MAX_CHARS UTF-16 units


async def decide(info: ServerRequestInfo) -> str:
    return "decline" if "declined" in str(info.params) else "accept"


async def interrupted_turn(host: CodexHost) -> None:
    """A turn interrupted while it streams."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(host.send, "SLOW 5")
        with anyio.fail_after(20):
            async for st in host.subscribe_lifecycle():
                if st.turn_id is not None:
                    break
        await anyio.sleep(0.5)
        await host.interrupt_conversation()


async def every_kind(host: CodexHost) -> tuple[str, str, str | None]:
    """Run a thread of every kind in ``host``; fork it. Returns (thread id, fork id, the thread's conversation id)."""
    (host.config.cwd / "dot.png").write_bytes(DOT_PNG)
    await host.new_conversation()
    for prompt in PROMPTS:
        await host.send(prompt)
    await interrupted_turn(host)
    await host.set_thread_name(NAME)
    await host.compact_thread()
    await host.send("after compaction")
    thread_id, conversation_id = host.thread_id, host.conversation_id
    assert thread_id is not None
    await host.fork_thread(thread_id)
    fork_id = host.thread_id
    assert fork_id is not None and fork_id != thread_id
    await host.send("in the fork")
    return thread_id, fork_id, conversation_id


async def codex_read(host: CodexHost, thread_id: str) -> dict[str, Any]:
    thread: dict[str, Any] = (await host.read_thread(thread_id))["thread"]
    return thread


def kinds_in(thread: dict[str, Any]) -> set[str]:
    return {it["type"] for turn in thread["turns"] for it in turn["items"]} | {t["status"] for t in thread["turns"]}


async def assert_titled_by_name(api: HostApi, conversation_id: str) -> None:
    got = await api.get_conversation(conversation_id=conversation_id)
    assert isinstance(got, GetConversationFound)
    # the name's first TITLE_MAX_CHARS UTF-16 code units, a pair cut in half left out
    assert got.conversation.title == NAME.encode("utf-16-le")[:2 * TITLE_MAX_CHARS].decode("utf-16-le", errors="ignore")


async def test_imported_threads_read_back_exactly(host_config: HostConfig, alice_api: HostApi) -> None:
    local = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY,
                       on_server_request=decide, turn_timeout_s=120)
    async with CodexHost(local) as host:
        thread_id, fork_id, _ = await every_kind(host)
        await host.archive_thread(fork_id)
    async with CodexHost(host_config) as host:
        for tid in (thread_id, fork_id):
            result = await host.import_local_thread(tid)
            assert result.state == "synced", result.error
            if tid == thread_id:
                await assert_titled_by_name(alice_api, result.conversation_id)
            want = await codex_read(host, tid)
            got = await read_codex_thread(alice_api, tid)
            assert got is not None
            assert_same_json(got, want)
    original = await read_codex_thread(alice_api, thread_id)
    assert original is not None
    kinds = kinds_in(original)
    assert {"commandExecution", "fileChange", "reasoning", "webSearch", "imageView", "contextCompaction", "failed",
            "interrupted"} <= kinds, kinds
    assert any(len(it.get("text", "")) >= 1_500_000 for t in original["turns"] for it in t["items"])


async def test_live_replicated_threads_read_back_exactly(host_config: HostConfig, alice_api: HostApi) -> None:
    host_config.on_server_request = decide
    host_config.turn_timeout_s = 120
    async with CodexHost(host_config) as host:
        thread_id, fork_id, conversation_id = await every_kind(host)
        assert conversation_id is not None
        await assert_titled_by_name(alice_api, conversation_id)
        for tid in (thread_id, fork_id):
            want = await codex_read(host, tid)
            got = await read_codex_thread(alice_api, tid)
            assert got is not None, tid
            assert_same_json(got, want)
        approvals = await alice_api.list_pending_server_requests(conversation_id=host.conversation_id or "")
        assert approvals == []


async def test_a_thread_whose_first_message_is_huge_imports_resumes_and_reads_back_exactly(
        host_config: HostConfig, alice_api: HostApi) -> None:
    """A first message of 600,000 characters (a pasted log): Codex's preview of the thread is all of it. The import
    (its header carries the preview) and a live resume (the host sends the thread's metadata) keep the row's preview
    to PREVIEW_MAX_CHARS, cut before a pair it would split; the thread's own JSON keeps it whole."""
    pasted = "SAY logs: " + "é🙂x" * 200_000  # unit 1,000 is the first half of a 🙂
    local = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY)
    async with CodexHost(local) as host:
        await host.new_conversation()
        await host.send(pasted)
        thread_id = host.thread_id
    assert thread_id is not None
    async with CodexHost(host_config) as host:
        result = await host.import_local_thread(thread_id)
        assert result.state == "synced", result.error
        assert_same_json(await read_codex_thread(alice_api, thread_id), await codex_read(host, thread_id))
        await host.resume_conversation(result.conversation_id)
        await host.send("SAY after the resume")
        assert_same_json(await read_codex_thread(alice_api, thread_id), await codex_read(host, thread_id))
    [row] = await alice_api.list_threads_for_conversation(conversation_id=result.conversation_id)
    want = pasted.encode("utf-16-le")[:2 * PREVIEW_MAX_CHARS].decode("utf-16-le", errors="ignore")
    assert row.preview == want and len(want.encode("utf-16-le")) == 2 * (PREVIEW_MAX_CHARS - 1)
