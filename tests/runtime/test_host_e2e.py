"""The host runtime end to end: real Codex, the scripted model, the deployment, a second client."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.codex import find_codex
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.errors import CodexConvexError, PersistenceDisabledError
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import GetConversationFound, GetConversationViewFound
from codex_convex.replication import Coalescing
from codex_convex.runtime import (
    CodexHost,
    HostConfig,
    HostMode,
    HostNotRunningError,
    HostPhase,
    LifecycleState,
    OptimisticMessage,
    ServerRequestInfo,
)
from codex_convex.runtime import host as host_module
from tests.conftest import Deployment
from tests.support import (
    codex_messages,
    conversation_messages,
    page_opts,
    persisted_items,
    persisted_messages,
    send_watched,
)

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def wait_for(host: CodexHost, predicate: Callable[[LifecycleState], bool], timeout_s: float = 10) -> None:
    with anyio.fail_after(timeout_s):
        async for st in host.subscribe_lifecycle():
            if predicate(st):
                return


async def test_text_turn_persisted_equals_codex(host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        first = await host.send("hello there")
        second = await host.send("and again")
        thread = (await host.read_thread())["thread"]
    assert (first.status, first.text) == ("completed", "echo: hello there")
    assert second.status == "completed"
    stored = await persisted_messages(alice_api, cid)
    assert conversation_messages(stored) == codex_messages(thread)
    assert all(m.status == "completed" for m in stored)
    # untitled (Codex names no thread): lists show its first message, as Codex's own preview of the thread
    got = await alice_api.get_conversation(conversation_id=cid)
    assert isinstance(got, GetConversationFound)
    assert (got.conversation.title, got.conversation.preview, thread["preview"]) == (None, "hello there", "hello there")
    for turn in thread["turns"]:
        items = await persisted_items(alice_api, thread["id"], turn["id"])
        assert [i["id"] for i in items] == [i["id"] for i in turn["items"]]
        assert [i["type"] for i in items] == [i["type"] for i in turn["items"]]


async def test_a_short_turn_costs_three_writes(host_config: HostConfig, alice_api: HostApi,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each write is a billed mutation: a short turn goes in three (was 4-5), its start with the person's message,
    the answer's first delta at once, then the rest with the turn's end and the host's record of it from Codex (the
    linger and the turn end's hold raised so a loaded box's gaps cannot split what the rule joins)."""
    monkeypatch.setattr(host_module, "SETTLE_HOLD_S", 5.0)
    config = dataclasses.replace(host_config, coalescing=Coalescing(linger_s=0.1))
    async with CodexHost(config) as host:
        cid = await host.new_conversation()
        await host.send("warm up")
        binding = host.bindings.current
        assert binding is not None and binding.replicator is not None
        writes: list[list[str]] = []
        binding.replicator.on_write = lambda events, _sent, _answered: writes.append([e.type for e in events])
        result = await host.send("say hi")
        await binding.replicator.flush()
    assert result.status == "completed"
    # three, or two when the answer came while the first write was in flight (what arrives meanwhile goes next)
    assert len(writes) <= 3 and writes[0][:3] == ["turnStarted", "item", "item"], writes
    assert writes[-1].count("turnCompleted") == 2 and writes[-1][-1] == "threadJson"  # the live end, Codex's record
    stored = await persisted_messages(alice_api, cid)
    assert [m.text for m in stored][-2:] == ["say hi", result.text]


async def test_command_approval_answered_from_a_second_client(
        host_config: HostConfig, deployment: Deployment, alice_api: HostApi) -> None:
    # No Python handler: the host must wait for a decision written to Convex by another client.
    watcher = Subscriber(deployment.url, token=deployment.alice)
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        result: dict[str, Any] = {}

        async def run_turn() -> None:
            result["turn"] = await host.send("RUN echo approved > approved.txt")

        async with anyio.create_task_group() as tg:
            tg.start_soon(run_turn)
            with anyio.fail_after(30):
                async for pending in watcher.watch("chat:listPendingServerRequests", {"conversationId": cid}):
                    if pending:
                        req = pending[0]
                        assert req["method"] == "item/commandExecution/requestApproval"
                        async with ConvexHttp(deployment.url, token=deployment.alice) as ui:
                            await HostApi(ui).respond_server_request(
                                thread_id=req["threadId"], turn_id=req["turnId"], request_id=req["requestId"],
                                decision="accept")
                        break
    assert result["turn"].status == "completed"
    assert (host_config.cwd / "approved.txt").read_text() == "approved\n"
    stored = await alice_api.get_server_request(thread_id=req["threadId"], turn_id=req["turnId"],
                                                request_id=req["requestId"])
    assert stored is not None and stored.status == "answered" and (stored.answered_by or "").endswith("|alice")


async def test_declined_file_change(host_config: HostConfig, alice_api: HostApi) -> None:
    asked: list[ServerRequestInfo] = []

    async def decline(info: ServerRequestInfo) -> str:
        asked.append(info)
        return "decline"

    host_config.on_server_request = decline
    async with CodexHost(host_config) as host:
        await host.new_conversation()
        r = await host.send("PATCH secret.txt")
        thread = (await host.read_thread())["thread"]
    assert [a.method for a in asked] == ["item/fileChange/requestApproval"]
    assert not (host_config.cwd / "secret.txt").exists()
    items = await persisted_items(alice_api, thread["id"], r.turn_id)
    change = next(i for i in items if i["type"] == "fileChange")
    assert change["status"] == "declined"


async def test_interrupt_leaves_a_terminal_state(host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        out: dict[str, Any] = {}

        async def turn() -> None:
            out["r"] = await host.send("SLOW 5")

        async with anyio.create_task_group() as tg:
            tg.start_soon(turn)
            await wait_for(host, lambda st: st.turn_id is not None)
            await anyio.sleep(0.5)
            await host.interrupt_conversation()
    assert out["r"].status == "interrupted"
    stored = await persisted_messages(alice_api, cid)
    assert stored[-1].role == "assistant" and stored[-1].status == "interrupted"
    turn = await alice_api.get_turn(thread_id=out["r"].thread_id, turn_id=out["r"].turn_id)
    assert turn.found and turn.turn.status == "interrupted"


async def test_resume_in_a_new_host_process_keeps_the_conversation(
        host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        await host.send("first")
    async with CodexHost(host_config) as host2:
        assert await host2.resume_conversation(cid) == cid
        await host2.send("second")
        thread = (await host2.read_thread())["thread"]
    stored = await persisted_messages(alice_api, cid)
    assert conversation_messages(stored) == codex_messages(thread)
    assert [m.text for m in stored if m.role == "user"] == ["first", "second"]


async def test_fork_gets_its_own_conversation_with_the_parents_history(
        host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        await host.send("base")
        forked = await host.fork_conversation(cid)
        assert forked != cid
        await host.send("on the fork")
        fork_thread = (await host.read_thread())["thread"]
    fork_stored = await persisted_messages(alice_api, forked)
    assert conversation_messages(fork_stored) == codex_messages(fork_thread)
    assert [m.text for m in fork_stored if m.role == "user"] == ["base", "on the fork"]
    base_msgs = [m.text for m in await persisted_messages(alice_api, cid) if m.role == "user"]
    assert base_msgs == ["base"]
    # the fork links to its parent, and the parent lists its forks (#19)
    assert fork_thread["forkedFromId"]
    got = await alice_api.get_conversation(conversation_id=forked)
    assert isinstance(got, GetConversationFound) and got.conversation.forked_from_conversation_id == cid
    assert [c.conversation_id for c in await alice_api.list_conversation_forks(conversation_id=cid)] == [forked]
    [fork_meta] = await alice_api.list_threads_for_conversation(conversation_id=forked)
    assert fork_meta.forked_from_id == fork_thread["forkedFromId"] and fork_meta.cwd == fork_thread["cwd"]


async def test_resuming_a_codex_only_thread_imports_its_history(host_config: HostConfig, alice_api: HostApi) -> None:
    local = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY)
    async with CodexHost(local) as host:
        tid = await host.new_conversation()
        await host.send("said offline")
    async with CodexHost(host_config) as host:
        cid = await host.resume_thread(tid)
        await host.send("said online")
        thread = (await host.read_thread())["thread"]
    stored = await persisted_messages(alice_api, cid)
    assert conversation_messages(stored) == codex_messages(thread)
    assert [m.text for m in stored if m.role == "user"] == ["said offline", "said online"]


async def test_model_http_500_fails_the_turn_and_is_persisted(host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        r = await host.send("HTTP 500")
    assert r.status == "failed" and r.error is not None
    turn = await alice_api.get_turn(thread_id=r.thread_id, turn_id=r.turn_id)
    assert turn.found and turn.turn.status == "failed"
    assert turn.turn.error and turn.turn.error.message
    assert turn.turn.error.message != "[object Object]"
    # Codex's error notification is a notice a reader of the conversation sees (it says Codex gave up)
    view = await alice_api.get_conversation_view(conversation_id=cid)
    assert isinstance(view, GetConversationViewFound)
    [notice] = [n for n in view.notices if n.turn_id == r.turn_id]
    assert notice.kind == "error" and notice.message == r.error.message
    assert json.loads(notice.details_json or "{}")["willRetry"] is False


async def test_a_huge_model_error_is_kept_clipped_and_replication_goes_on(host_config: HostConfig,
                                                                         alice_api: HostApi) -> None:
    """A model error larger than a turn row may hold (its message alone over the turn's JSON bound): the failed turn
    is kept with its error clipped to TURN_ERROR_MAX_CHARS, in the row and in its own JSON, and the next turn
    replicates as usual."""
    from codex_convex.host_api.limits import TURN_ERROR_MAX_CHARS, TURN_JSON_MAX_CHARS

    message = "boom " * (TURN_JSON_MAX_CHARS // 4)  # > TURN_JSON_MAX_CHARS characters
    async with CodexHost(host_config) as host:
        await host.new_conversation()
        failed = await host.send(f"PARTIAL 1 {message}")
        after = await host.send("still here")
    assert failed.status == "failed" and after.status == "completed" and after.text == "echo: still here"
    got = await alice_api.get_turn(thread_id=failed.thread_id, turn_id=failed.turn_id)
    assert got.found and got.turn.status == "failed" and got.turn.json_ is not None and got.turn.error is not None
    assert len(got.turn.error.message) == TURN_ERROR_MAX_CHARS and "boom boom" in got.turn.error.message
    own = json.loads(got.turn.json_)  # Codex's turn as it ended, its error's message clipped the same way
    assert own["status"] == "failed" and own["error"]["message"] == got.turn.error.message


async def test_codex_killed_mid_turn(host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        await host.new_conversation()
        out: dict[str, Any] = {}

        async def turn() -> None:
            out["r"] = await host.send("SLOW 10")

        async with anyio.create_task_group() as tg:
            tg.start_soon(turn)
            await wait_for(host, lambda st: st.turn_id is not None)
            await anyio.sleep(0.3)
            host.kill_codex()
        state = host.lifecycle_state()
        assert state.phase is HostPhase.ERROR and state.source == "process_exit"
        assert state.reason and "exited" in state.reason
    r = out["r"]
    assert r.status == "failed"
    turn = await alice_api.get_turn(thread_id=r.thread_id, turn_id=r.turn_id)
    assert turn.found and turn.turn.status == "failed"


async def test_codex_only_mode(host_config: HostConfig) -> None:
    cfg = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY)
    async with CodexHost(cfg) as host:
        tid = await host.new_conversation()
        assert tid == host.thread_id
        r = await host.send("RUN echo nope > nope.txt")  # no handler: declined, never auto-accepted
        assert r.status == "completed"
        assert not (cfg.cwd / "nope.txt").exists()
        with pytest.raises(PersistenceDisabledError) as e:
            await host.list_conversations()
    assert e.value.code == "E_PERSISTENCE_DISABLED"


async def test_lifecycle_stream_and_safe_send(host_config: HostConfig) -> None:
    host_config.lifecycle_safe_send = True
    phases: list[str] = []
    async with CodexHost(host_config) as host:

        async def collect() -> None:
            async for st in host.subscribe_lifecycle():
                phases.append(st.phase.value)

        async with anyio.create_task_group() as tg:
            tg.start_soon(collect)
            await host.new_conversation()
            await host.send("one")
            host.kill_codex()
            await wait_for(host, lambda st: st.phase is HostPhase.ERROR)
            r = await host.send("two")  # restarts Codex and resumes the thread
            assert r.status == "completed" and r.text == "echo: two"
            tg.cancel_scope.cancel()
    assert phases[0] == "running" and "error" in phases and phases[-1] == "running"


async def test_send_when_stopped_fails_clearly_without_opt_in(host_config: HostConfig) -> None:
    async with CodexHost(host_config) as host:
        await host.new_conversation()
        host.kill_codex()
        await wait_for(host, lambda st: st.phase is HostPhase.ERROR)
        with pytest.raises(HostNotRunningError) as e:
            await host.send("x")
    assert e.value.code == "E_HOST_NOT_RUNNING"


async def test_watch_conversation_shows_optimistic_then_durable(host_config: HostConfig) -> None:
    snapshots: list[Any] = []
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()

        async def watch() -> None:
            async for snap in host.watch_conversation(cid):
                snapshots.append(snap)
                texts = [m.text for m in snap.messages if not isinstance(m, OptimisticMessage)]
                if "echo: watch me" in texts and not any(isinstance(m, OptimisticMessage) for m in snap.messages):
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            await anyio.sleep(0.3)
            await host.send("watch me")
    assert any(any(isinstance(m, OptimisticMessage) for m in s.messages) for s in snapshots)
    last = snapshots[-1]
    assert [(m.role, m.text) for m in last.messages] == [("user", "watch me"), ("assistant", "echo: watch me")]
    assert last.sync_progress.sync_state == "synced" and last.can_send  # live replication keeps it in sync


async def test_a_garbage_stdout_line_is_a_protocol_error_not_a_hang(
        host_config: HostConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = find_codex().path
    wrapper = tmp_path / "codex-with-garbage"
    wrapper.write_text(f"#!/bin/bash\n{{ sleep 1.5; printf 'this is not json\\n'; }} &\nexec {real} \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("CODEX_BIN", str(wrapper))
    host_config.lifecycle_safe_send = True
    async with CodexHost(host_config) as host:
        await host.new_conversation()
        await host.send("before the garbage")  # the garbage line comes 1.5 s after spawn
        await wait_for(host, lambda st: st.phase is HostPhase.ERROR)
        state = host.lifecycle_state()
        assert state.source == "protocol_error" and state.reason and "this is not json" in state.reason
        r = await host.send("still works")  # restarted from the cached config, thread resumed
        assert r.status == "completed" and r.text == "echo: still works"


async def test_a_2_mb_answer_is_stored_whole(host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        r = await host.send("BIG 2000000")
        thread = (await host.read_thread())["thread"]
    assert r.status == "completed" and len(r.text) == 2_000_000
    stored = await persisted_messages(alice_api, cid)
    assert conversation_messages(stored) == codex_messages(thread)  # never truncated
    items = await persisted_items(alice_api, r.thread_id, r.turn_id)
    answer = next(i for i in items if i["type"] == "agentMessage")
    assert answer["text"] == r.text


async def test_rollback_drops_the_last_turns_in_codex_and_in_convex(host_config: HostConfig,
                                                                    alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        await host.new_conversation()
        kept = await host.send("keep me")
        await host.send("drop me")
        await host.rollback_thread(1)
        thread = (await host.read_thread())["thread"]
        with pytest.raises(CodexConvexError) as e:
            await host.rollback_thread(5)
    assert e.value.code == "E_HOST_BAD_ROLLBACK"
    assert [t["id"] for t in thread["turns"]] == [kept.turn_id]
    stored = await alice_api.list_turns(thread_id=kept.thread_id, pagination_opts=page_opts())
    assert [t.turn_id for t in stored.page] == [kept.turn_id]


async def test_archive_state_is_mirrored_both_ways(host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        await host.send("to be archived")
        thread_id = host.bindings.current.thread_id  # type: ignore[union-attr]

        async def convex_status() -> str:
            got = await alice_api.get_conversation(conversation_id=cid)
            assert isinstance(got, GetConversationFound)
            return got.conversation.status

        await host.archive_thread()  # archived in Codex → archived in Convex
        assert await convex_status() == "archived"
        assert thread_id in await host.thread_ids(archived=True)
        await host.unarchive_thread(thread_id)
        assert await convex_status() == "active"
        await host.archive_conversation(cid)  # archived in Convex → archived in Codex
        assert thread_id in await host.thread_ids(archived=True)
        await host.unarchive_conversation(cid)
        assert thread_id not in await host.thread_ids(archived=True)


async def test_a_reasoning_summary_streams_to_a_second_client(host_config: HostConfig, deployment: Deployment,
                                                              alice_api: HostApi) -> None:
    """A model that reasons first: its summary shows as an assistant message of kind `reasoning` while it streams
    (each state a prefix of the next, parts a blank line apart), completed with the summary Codex keeps, before the
    answer."""
    cid, result, thread, states = await send_watched(
        host_config, deployment, "THINK weigh the options first | then pick the simplest one", "reasoning")
    summary = "weigh the options first\n\nthen pick the simplest one"
    assert result.status == "completed" and result.text == f"thought: {summary.replace(chr(10) * 2, ' | ')}"
    streaming = [text for status, text in states if status == "streaming" and text]
    assert len(streaming) >= 2, states  # seen growing, not only whole
    assert all(summary.startswith(t) for t in streaming), states
    assert any("\n\n" in t for t in streaming) and states[-1] == ("completed", summary), states
    stored = await persisted_messages(alice_api, cid)
    assert [(m.role, m.kind) for m in stored] == [("user", "userMessage"), ("assistant", "reasoning"),
                                                  ("assistant", "agentMessage")]
    assert conversation_messages(stored) == codex_messages(thread)


async def test_a_running_commands_output_streams_to_a_second_client(host_config: HostConfig, deployment: Deployment,
                                                                    alice_api: HostApi) -> None:
    """Output a command prints while it runs shows in its message as Codex streams it (growing in place), and ends
    as the output Codex keeps for the finished command (Codex 0.163 may not stream what a command prints in its first
    moments: the finished output has it)."""
    async def accept(info: ServerRequestInfo) -> str:
        return "accept"

    host_config.on_server_request = accept
    cid, result, thread, states = await send_watched(
        host_config, deployment, "RUN for i in 1 2 3 4; do echo line $i; sleep 0.4; done", "commandExecution")
    assert result.status == "completed"
    command = next(it for turn in thread["turns"] for it in turn["items"] if it["type"] == "commandExecution")
    kept = command["aggregatedOutput"]
    assert kept == "".join(f"line {i}\n" for i in range(1, 5))
    running = [text for status, text in states if status == "streaming" and text]
    # as it streamed, growing in place (the kept output, which replaces it, may show a moment before the status does:
    # a message's text and its status come on subscriptions of their own)
    grew = [t for t in running if t != kept]
    assert len(grew) >= 2 and all(b.startswith(a) for a, b in itertools.pairwise(grew)), states
    assert all(t in kept for t in running) and "line 4\n" in running[-1], states  # the lines it printed, live
    assert states[-1] == ("completed", kept), states
    stored = await persisted_messages(alice_api, cid)
    assert [m.text for m in stored if m.kind == "commandExecution"] == [kept]


async def test_a_turns_plan_shows_to_a_second_client(host_config: HostConfig, deployment: Deployment,
                                                    alice_api: HostApi) -> None:
    """A model that sets a plan (Codex's update_plan tool → turn/plan/updated): a second client's conversation view
    shows it with each step's status, the turn keeps it (getTurn), and the next turn's plan replaces it in the view."""
    prompts = ["PLAN read the code=completed | write the fix=in_progress | run the tests",
               "PLAN read the code=completed | write the fix=completed | run the tests=in_progress"]
    seen: list[Any] = []  # each distinct plan the watcher's view showed
    shown = [anyio.Event() for _ in prompts]
    watcher = Subscriber(deployment.url, token=deployment.alice)
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()

        async def watch() -> None:
            async for view in watcher.watch("chat:getConversationView", {"conversationId": cid, "numMessages": 5}):
                plan = view.get("plan") if view["found"] else None
                if plan is not None and (not seen or seen[-1] != plan):
                    seen.append(plan)
                    shown[len(seen) - 1].set()
                if len(seen) == len(prompts):
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            for prompt, event in zip(prompts, shown, strict=True):
                result = await host.send(prompt)
                assert result.status == "completed" and result.text == "planned: 3 steps"
                with anyio.fail_after(10):
                    await event.wait()
        thread = (await host.read_thread())["thread"]
        async with contextlib.aclosing(host.watch_conversation(cid)) as snaps:
            snap = await anext(snaps)  # the typed snapshot carries it too
        assert snap.plan is not None and snap.plan.model_dump(by_alias=True) == seen[-1]
    watcher.close()
    turns = [t["id"] for t in thread["turns"]]
    assert [[(s["step"], s["status"]) for s in p["steps"]] for p in seen] == [
        [("read the code", "completed"), ("write the fix", "inProgress"), ("run the tests", "pending")],
        [("read the code", "completed"), ("write the fix", "completed"), ("run the tests", "inProgress")]]
    assert [p["turnId"] for p in seen] == turns and not any(p["truncated"] for p in seen)
    first = await alice_api.get_turn(thread_id=thread["id"], turn_id=turns[0])
    assert first.found and first.turn.plan is not None
    assert [s.status for s in first.turn.plan.steps] == ["completed", "inProgress", "pending"]


async def test_a_message_with_an_image(host_config: HostConfig, alice_api: HostApi) -> None:
    """An image sent with the text (Codex's localImage input): Codex keeps it on the user message, the stored message
    shows it as a line of its own, the optimistic entry gives way to the durable one, and it reads back equal."""
    from codex_convex.host_api.reads import read_codex_thread
    from codex_convex.runtime import OptimisticMessage
    from tests.support import DOT_PNG, assert_same_json

    (host_config.cwd / "dot.png").write_bytes(DOT_PNG)
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        with pytest.raises(CodexConvexError) as bad:
            await host.send("look", images=[host_config.cwd / "missing.png"])
        assert bad.value.code == "E_HOST_BAD_IMAGE"
        r = await host.send("what is in this?", images=[host_config.cwd / "dot.png"])
        assert r.status == "completed"
        thread = (await host.read_thread())["thread"]
        with anyio.fail_after(10):
            async for snap in host.watch_conversation():
                users = [m for m in snap.messages if m.role == "user"]
                if not any(isinstance(m, OptimisticMessage) for m in snap.messages):
                    break
    path = str((host_config.cwd / "dot.png").resolve())
    [item] = [i for i in thread["turns"][-1]["items"] if i["type"] == "userMessage"]
    assert {"type": "localImage", "path": path} in [{k: c.get(k) for k in ("type", "path")} for c in item["content"]
                                                    if c["type"] == "localImage"]
    stored = [m for m in await persisted_messages(alice_api, cid) if m.role == "user"]
    assert [m.text for m in stored] == [f"what is in this?\n[image: {path}]"]
    assert [m.text for m in users] == [f"what is in this?\n[image: {path}]"]
    got = await read_codex_thread(alice_api, thread["id"])
    assert got is not None
    assert_same_json(got, thread)
