"""The host's parts, each on its own, against a fake Codex replaying the pinned Codex's own messages (no process,
no deployment): process supervision, turn tracking, bindings and their replication, and the facade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.errors import CodexConvexError
from codex_convex.host_api.models import (
    Conversation,
    IngestEvent,
    IngestEventItem,
    IngestEventMessageDelta,
    IngestEventServerRequest,
    IngestEventThreadMeta,
    IngestEventTurnCompleted,
    IngestEventTurnStarted,
    IngestResult,
    SyncOpenConversationBindingResult,
)
from codex_convex.protocol import host_models as codex
from codex_convex.protocol.notifications import decode
from codex_convex.runtime import (
    Coalescing,
    CodexHost,
    HostConfig,
    HostMode,
    HostNotRunningError,
    HostPhase,
    ServerRequestInfo,
)
from codex_convex.runtime.bindings import Bindings
from codex_convex.runtime.lifecycle import Lifecycle, LifecycleSource
from codex_convex.runtime.turns import TurnTracker
from tests.runtime.fake_codex import SESSION, THREAD_ID, TURN_ID, FakeCodex

pytestmark = pytest.mark.anyio


def config(tmp_path: Path, **kw: Any) -> HostConfig:
    return HostConfig(codex_home=tmp_path, cwd=tmp_path, mode=HostMode.CODEX_ONLY, rpc_timeout_s=5,
                      turn_timeout_s=5, **kw)


async def accept(info: ServerRequestInfo) -> str:
    return "accept"


# ----- turn tracking ---------------------------------------------------------------------------------------------

def test_turns_follow_the_notifications() -> None:
    lifecycle = Lifecycle()
    turns = TurnTracker(lifecycle)
    done = turns.expect(TURN_ID)
    for n in SESSION["turn"]:
        decoded = decode(n["method"], n["params"])
        if decoded is not None:
            turns.observe(decoded)
        if n["method"] == "turn/started":
            assert lifecycle.state().turn_id == TURN_ID and turns.open_turns() == [TURN_ID]
    assert done.is_set() and lifecycle.state().turn_id is None and turns.open_turns() == []
    turn, text = turns.take(TURN_ID)
    assert turn is not None and turn.status == codex.TurnStatus.completed and text == "ran: echo hi"


def test_a_turn_codex_abandons_ends_failed_with_the_reason() -> None:
    turns = TurnTracker(Lifecycle())
    done = turns.expect("t9")
    turns.fail("t9", "Codex exited")
    turn, _ = turns.take("t9")
    assert done.is_set() and turn is not None and turn.status == codex.TurnStatus.failed
    assert turn.error is not None and turn.error.message == "Codex exited"


# ----- bindings and their replication ----------------------------------------------------------------------------

class FakeApi:
    """The two endpoints a binding calls, in memory."""

    def __init__(self) -> None:
        self.events: list[IngestEvent] = []

    async def sync_open_conversation_binding(self, *, thread_id: str, conversation_id: str | None = None,
                                             title: str | None = None,
                                             host_session_id: str | None = None) -> SyncOpenConversationBindingResult:
        conv = Conversation(conversation_id="c1", title=title, preview=None, status="active", thread_id=thread_id,
                            sync_state="synced", active_sync_job_id=None, created_at=1, updated_at=1,
                            forked_from_conversation_id=None, parent_conversation_id=None)
        return SyncOpenConversationBindingResult(conversation=conv, created=True)

    async def ingest_events(self, *, conversation_id: str, stream_id: str, seq: float,
                            events: list[IngestEvent]) -> IngestResult:
        fresh = events[len(self.events) - int(seq):]
        self.events += fresh
        return IngestResult(status="accepted", next_seq=len(self.events), applied=len(fresh))


async def test_a_binding_replicates_the_turn_as_typed_events_in_order() -> None:
    api = FakeApi()
    lifecycle = Lifecycle()
    bindings = Bindings(api, lifecycle)  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        b = await bindings.bind(THREAD_ID, None, tg)
        assert b.conversation_id == "c1" and b.created_conversation
        assert lifecycle.state().thread_id == THREAD_ID and lifecycle.state().conversation_id == "c1"
        for n in SESSION["turn"]:
            decoded = decode(n["method"], n["params"])
            if decoded is not None:
                b.push(b.mapper.map(decoded))
        req = SESSION["serverRequests"][0]
        b.push([b.mapper.server_request("0", req["method"], req["params"])])
        await bindings.unbind()  # flushes
        tg.cancel_scope.cancel()
    kinds = [type(e) for e in api.events]
    assert kinds[:2] == [IngestEventThreadMeta, IngestEventTurnStarted] and IngestEventTurnCompleted in kinds
    items = [e for e in api.events if isinstance(e, IngestEventItem)]
    assert [i.item_type for i in items if i.phase == "completed"] == ["userMessage", "commandExecution", "agentMessage"]
    answer, command = (next(i.item_id for i in items if i.item_type == t) for t in ("agentMessage", "commandExecution"))
    deltas = [e for e in api.events if isinstance(e, IngestEventMessageDelta)]
    streamed = {item: "".join(e.text for e in deltas if e.item_id == item) for item in (answer, command)}
    output = "item/commandExecution/outputDelta"
    printed = "".join(n["params"]["delta"] for n in SESSION["turn"] if n["method"] == output)
    assert streamed == {answer: "ran: echo hi", command: printed} and printed.endswith("hi\n")
    assert isinstance(api.events[-1], IngestEventServerRequest) and api.events[-1].turn_id == TURN_ID
    assert bindings.current is None


async def test_a_binding_replicates_with_the_host_s_coalescing() -> None:
    bindings = Bindings(FakeApi(), Lifecycle(), Coalescing(deltas_per_write=40, max_delta_writes_per_s=4))  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        b = await bindings.bind(THREAD_ID, None, tg)
        assert b.replicator is not None
        assert b.replicator.coalescing == Coalescing(deltas_per_write=40, max_delta_writes_per_s=4)
        await bindings.unbind()
        tg.cancel_scope.cancel()
    assert HostConfig(codex_home=Path("."), cwd=Path(".")).coalescing == Coalescing()  # the default: 16, 12.5/s


@pytest.mark.parametrize("bad", [{"deltas_per_write": 0}, {"max_delta_writes_per_s": -1.0},
                                 {"min_write_interval_s": float("nan")}, {"linger_s": -0.01}])
def test_coalescing_out_of_range_is_refused_by_name(bad: dict[str, float]) -> None:
    with pytest.raises(CodexConvexError) as e:
        Coalescing(**bad)  # type: ignore[arg-type]
    assert e.value.code == "E_CONFIG_COALESCING" and next(iter(bad)) in str(e.value)


# ----- the facade over process supervision -----------------------------------------------------------------------

async def test_a_turn_through_the_facade(tmp_path: Path) -> None:
    fake = FakeCodex()
    asked: list[ServerRequestInfo] = []

    async def handler(info: ServerRequestInfo) -> str:
        asked.append(info)
        return "accept"

    async with CodexHost(config(tmp_path, on_server_request=handler), app_server=fake.opener) as host:
        assert host.lifecycle_state().phase is HostPhase.RUNNING
        assert await host.new_conversation() == THREAD_ID == host.thread_id
        result = await host.send("RUN echo hi")
    assert (result.turn_id, result.status, result.text, result.thread_id) == (TURN_ID, "completed", "ran: echo hi",
                                                                              THREAD_ID)
    assert [a.method for a in asked] == ["item/commandExecution/requestApproval"] and asked[0].is_approval
    assert fake.answers == [{"decision": "accept"}]
    sent = dict(fake.requests)
    assert sent["turn/start"]["threadId"] == THREAD_ID and sent["turn/start"]["approvalPolicy"] == "untrusted"
    assert host.lifecycle_state().phase is HostPhase.STOPPED


async def test_with_the_experimental_api_every_turn_names_its_mode_and_the_threads_model(tmp_path: Path) -> None:
    """Codex keeps a thread's collaboration mode (and a turn's model override) from turn to turn: each turn says its
    mode, plan or default, with the model the thread has by then; without the experimental API none does."""
    fake = FakeCodex()
    async with CodexHost(config(tmp_path, on_server_request=accept, experimental_api=True),
                         app_server=fake.opener) as host:
        await host.new_conversation()
        await host.send("plan it", plan=True)
        await host.send("go", model="other-model", effort="high")
        await host.send("and more")
    modes = [p["collaborationMode"] for m, p in fake.requests if m == "turn/start"]
    assert modes == [{"mode": "plan", "settings": {"model": "mock-model"}},
                     {"mode": "default", "settings": {"model": "other-model", "reasoning_effort": "high"}},
                     {"mode": "default", "settings": {"model": "other-model", "reasoning_effort": "high"}}]
    plain = FakeCodex()
    async with CodexHost(config(tmp_path, on_server_request=accept), app_server=plain.opener) as host:
        await host.new_conversation()
        await host.send("go")
        with pytest.raises(CodexConvexError) as refused:
            await host.send("plan it", plan=True)
    assert refused.value.code == "E_HOST_PLAN_NEEDS_EXPERIMENTAL_API"
    assert [p.get("collaborationMode") for m, p in plain.requests if m == "turn/start"] == [None]


async def test_codex_dying_mid_turn_fails_the_turn_and_reports_the_exit(tmp_path: Path) -> None:
    fake = FakeCodex(crash_at="item/agentMessage/delta")
    async with CodexHost(config(tmp_path, on_server_request=accept), app_server=fake.opener) as host:
        await host.new_conversation()
        result = await host.send("RUN echo hi")
        state = host.lifecycle_state()
        assert result.status == "failed" and result.error is not None and "Codex exited" in result.error.message
        assert state.phase is HostPhase.ERROR and state.source is LifecycleSource.PROCESS_EXIT
        with pytest.raises(HostNotRunningError):
            await host.send("again")  # no opt-in: a clear error, not a hang


async def test_lifecycle_safe_send_restarts_codex_and_resumes_the_thread(tmp_path: Path) -> None:
    fake = FakeCodex(crash_at="item/agentMessage/delta")
    cfg = config(tmp_path, on_server_request=accept, lifecycle_safe_send=True)
    async with CodexHost(cfg, app_server=fake.opener) as host:
        await host.new_conversation()
        await host.send("first")
        fake.crash_at = None
        again = await host.send("second")
    assert again.status == "completed" and fake.starts == 2
    assert [m for m, _ in fake.requests].count("thread/resume") == 1


async def test_a_garbage_line_is_a_protocol_error(tmp_path: Path) -> None:
    fake = FakeCodex(garbage_at="item/started")
    async with CodexHost(config(tmp_path, on_server_request=accept), app_server=fake.opener) as host:
        await host.new_conversation()
        result = await host.send("RUN echo hi")
        state = host.lifecycle_state()
    assert result.status == "failed"
    assert state.source is LifecycleSource.PROTOCOL_ERROR and "this is not json" in (state.reason or "")


async def test_a_turn_that_never_ends_times_out(tmp_path: Path) -> None:
    fake = FakeCodex(stall_turn=True)
    cfg = config(tmp_path, on_server_request=accept)
    cfg.turn_timeout_s = 0.5
    async with CodexHost(cfg, app_server=fake.opener) as host:
        await host.new_conversation()
        with pytest.raises(TimeoutError):
            await host.send("RUN echo hi")


async def test_codex_only_has_no_persistence_and_bad_input_is_refused(tmp_path: Path) -> None:
    from codex_convex.errors import PersistenceDisabledError

    async with CodexHost(config(tmp_path), app_server=FakeCodex().opener) as host:
        with pytest.raises(PersistenceDisabledError):
            await host.list_conversations()
        with pytest.raises(CodexConvexError) as e:
            await host.open_thread("resume", thread_id="  ")
        assert e.value.code == "E_HOST_BAD_THREAD_ID"
        with pytest.raises(CodexConvexError) as e2:
            await host.open_thread("teleport")
        assert e2.value.code == "E_HOST_BAD_STRATEGY"
        with pytest.raises(CodexConvexError) as e3:
            await host.send("no thread yet")
        assert e3.value.code == "E_HOST_NO_THREAD"
