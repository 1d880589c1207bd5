"""Property tests of the replicator's sequencing against an in-memory model of the ingest endpoint: whatever the
batching, coalescing and transport failures, the server ends with every event exactly once, in order."""

from __future__ import annotations

import random
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import codex_convex.replication.replicator as replicator_mod
from codex_convex.errors import ConvexTransportError
from codex_convex.host_api.models import IngestEventMessageDelta, IngestEventTurnStarted, IngestResult
from codex_convex.replication import Coalescing, Replicator


class FakeIngest:
    """The component's sequence rule: next seq applied, wholly-old batches duplicates, overlaps apply the tail,
    a batch starting past the expected seq is a gap. Fails some calls before or after applying (a lost reply)."""

    def __init__(self, seed: int, fail_rate: float) -> None:
        self.rng = random.Random(seed)
        self.fail_rate = fail_rate
        self.next_seq = 0
        self.applied: list[str] = []  # delta texts, concatenated per event

    async def ingest_events(self, *, conversation_id: str, stream_id: str, seq: int, events: list[Any]) -> Any:
        await anyio.lowlevel.checkpoint()
        if self.rng.random() < self.fail_rate:
            raise ConvexTransportError("cut before the server")
        if seq > self.next_seq:
            return IngestResult(status="gap", next_seq=self.next_seq, applied=0)
        if seq + len(events) <= self.next_seq:
            return IngestResult(status="duplicate", next_seq=self.next_seq, applied=0)
        fresh = events[self.next_seq - seq:]
        for ev in fresh:
            self.applied.append(ev.text if isinstance(ev, IngestEventMessageDelta) else ev.type)
        self.next_seq = seq + len(events)
        if self.rng.random() < self.fail_rate:
            raise ConvexTransportError("applied, but the reply was lost")
        return IngestResult(status="accepted", next_seq=self.next_seq, applied=len(fresh))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.just("turn"), st.text(min_size=1, max_size=5)), min_size=1, max_size=120),
       st.integers(0, 10_000), st.sampled_from([0.0, 0.2, 0.5]))
def test_every_event_arrives_once_in_order(items: list[str], seed: int, fail_rate: float) -> None:
    fake = FakeIngest(seed, fail_rate)

    async def main() -> None:
        rep = Replicator(fake, "c", Coalescing(min_write_interval_s=0.0))  # type: ignore[arg-type]
        deltas = 0
        saved, replicator_mod.RETRY_BACKOFF_S = replicator_mod.RETRY_BACKOFF_S, (0.0,)
        try:
            await feed(rep, deltas)
        finally:
            replicator_mod.RETRY_BACKOFF_S = saved

    async def feed(rep: Replicator, deltas: int) -> None:
        async with anyio.create_task_group() as tg:
            await tg.start(rep.run)
            for item in items:
                if item == "turn":
                    rep.push([IngestEventTurnStarted(thread_id="t", turn_id="x", at=0)])
                else:
                    rep.push([IngestEventMessageDelta(thread_id="t", turn_id="x", item_id="m", first_delta=deltas,
                                                      delta_count=1, text=item, at=0)])
                    deltas += 1
                if seed % 3 == 0:
                    await anyio.lowlevel.checkpoint()  # sometimes let writes interleave with pushes
            await rep.flush(timeout_s=30)
            tg.cancel_scope.cancel()

    anyio.run(main)
    expected: list[str] = []
    for item in items:  # adjacent deltas may merge into one event: compare the concatenation per run of deltas
        if item == "turn" or not expected or expected[-1] == "turnStarted":
            expected.append("turnStarted" if item == "turn" else item)
        else:
            expected[-1] += item
    got: list[str] = []
    for a in fake.applied:
        if a == "turnStarted" or not got or got[-1] == "turnStarted":
            got.append(a)
        else:
            got[-1] += a
    assert got == expected


@pytest.mark.anyio
async def test_a_refused_batch_stops_replication_loudly() -> None:
    from codex_convex.errors import ConvexApiError
    from codex_convex.replication import ReplicationError

    class Refusing:
        async def ingest_events(self, **kw: Any) -> Any:
            raise ConvexApiError("bad part", code="E_INGEST_PART_TOO_LARGE")

    rep = Replicator(Refusing(), "c")  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        rep.push([IngestEventTurnStarted(thread_id="t", turn_id="x", at=0)])
        with pytest.raises(ReplicationError) as e:
            await rep.flush(timeout_s=5)
        tg.cancel_scope.cancel()
    assert e.value.__cause__ is not None and getattr(e.value.__cause__, "code", "") == "E_INGEST_PART_TOO_LARGE"


@pytest.mark.anyio
async def test_each_acknowledged_write_is_reported_with_its_events_and_times() -> None:
    fake = FakeIngest(seed=1, fail_rate=0.0)
    rep = Replicator(fake, "c", Coalescing(min_write_interval_s=0.0))  # type: ignore[arg-type]
    reported: list[tuple[list[Any], float, float]] = []
    rep.on_write = lambda events, sent, answered: reported.append((events, sent, answered))
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        rep.push([IngestEventTurnStarted(thread_id="t", turn_id="x", at=0)])
        await rep.flush(timeout_s=5)
        rep.push([IngestEventMessageDelta(thread_id="t", turn_id="x", item_id="m", first_delta=0, delta_count=1,
                                          text="a", at=0)])
        await rep.flush(timeout_s=5)
        tg.cancel_scope.cancel()
    assert [len(events) for events, _, _ in reported] == [1, 1] and rep.writes == 2
    assert isinstance(reported[1][0][0], IngestEventMessageDelta)
    assert all(sent <= answered for _, sent, answered in reported)


class Recording:
    """Acknowledges every batch; records what each write carried."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.sizes: list[int] = []  # bytes of each write's events, as JSON on the wire
        self.deltas: list[int] = []  # deltas per write
        self.at: list[float] = []  # when each write reached the server
        self.next_seq = 0
        self._wrote = anyio.Event()

    async def written(self, n: int) -> None:
        """Until `n` writes have reached the server."""
        while len(self.at) < n:
            await self._wrote.wait()

    async def ingest_events(self, *, conversation_id: str, stream_id: str, seq: int, events: list[Any]) -> Any:
        await anyio.sleep(0.002)
        self.batches.append([ev.type for ev in events])
        self.sizes.append(sum(len(ev.model_dump_json(by_alias=True)) for ev in events))
        self.at.append(anyio.current_time())
        self.deltas.append(sum(int(ev.delta_count) for ev in events if isinstance(ev, IngestEventMessageDelta)))
        self.next_seq = seq + len(events)
        self._wrote.set()
        self._wrote = anyio.Event()
        return IngestResult(status="accepted", next_seq=self.next_seq, applied=len(events))


def _delta(i: int) -> IngestEventMessageDelta:
    return IngestEventMessageDelta(thread_id="t", turn_id="x", item_id="m", first_delta=i, delta_count=1,
                                   text=f"d{i} ", at=0)


@pytest.mark.anyio
async def test_a_turns_clustered_events_share_writes_and_approvals_go_at_once() -> None:
    """Codex sends a turn's events in clusters a few ms apart: each cluster is one write (none waits more than the
    linger), a turn's start goes with the person's message (which goes as soon as Codex has it), the first delta
    rides with what waits, and an approval request never waits."""
    from codex_convex.host_api.models import IngestEventItem, IngestEventServerRequest, IngestEventTurnCompleted

    def item(phase: str) -> IngestEventItem:
        return IngestEventItem(thread_id="t", turn_id="x", item_id="u", phase=phase, item_type="userMessage",  # type: ignore[arg-type]
                               part=0, part_count=1, data="{}", at=0)

    rec = Recording()
    rep = Replicator(rec, "c", Coalescing(linger_s=0.2))  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        started = anyio.current_time()
        rep.push([IngestEventTurnStarted(thread_id="t", turn_id="x", at=0)])
        await anyio.sleep(0.005)
        rep.push([item("started")])
        await anyio.sleep(0.005)
        rep.push([item("completed")])
        await rec.written(1)
        message_within = anyio.current_time() - started
        await anyio.sleep(0.3)
        started = anyio.current_time()
        rep.push([IngestEventServerRequest(thread_id="t", turn_id="x", request_id="r", method="m", params_json="{}",
                                           at=0)])
        await rep.flush(timeout_s=5)
        asked_within = anyio.current_time() - started
        rep.push([IngestEventTurnCompleted(thread_id="t", turn_id="x", status="completed", at=0)])
        await anyio.sleep(0.005)
        rep.push([_delta(0)])  # a first delta goes at once, and takes what waits with it
        await rep.flush(timeout_s=5)
        tg.cancel_scope.cancel()
    assert rec.batches == [["turnStarted", "item", "item"], ["serverRequest"], ["turnCompleted", "messageDelta"]]
    assert message_within < 0.1 and asked_within < 0.1  # well inside the 200 ms linger


@pytest.mark.anyio
async def test_an_event_codex_follows_with_its_sequel_waits_for_it_past_the_linger() -> None:
    """On a loaded box Codex's gaps widen: an agent message starting waits for its first delta, and its end and the
    token usage for the turn's end, up to the bound (3 lingers) rather than one linger; an event with no sequel to
    expect (a command starting) still goes after one linger."""
    from codex_convex.host_api.models import IngestEventItem, IngestEventTokenUsage, IngestEventTurnCompleted

    def item(phase: str, item_type: str = "agentMessage") -> IngestEventItem:
        return IngestEventItem(thread_id="t", turn_id="x", item_id="m", phase=phase, item_type=item_type,  # type: ignore[arg-type]
                               part=0, part_count=1, data="{}", at=0)

    rec = Recording()
    rep = Replicator(rec, "c", Coalescing(linger_s=0.1))  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        rep.push([item("started")])
        await anyio.sleep(0.15)  # past one linger, within the bound (0.3 s)
        assert rec.batches == []
        rep.push([_delta(0)])  # the first delta at once, with the item's start
        await rec.written(1)
        rep.push([item("completed"), IngestEventTokenUsage(thread_id="t", turn_id="x", total_tokens=1, input_tokens=1,
                                                           cached_input_tokens=0, output_tokens=0,
                                                           reasoning_output_tokens=0, last_total_tokens=1, at=0)])
        await anyio.sleep(0.15)
        assert len(rec.batches) == 1
        rep.push([IngestEventTurnCompleted(thread_id="t", turn_id="x", status="completed", at=0)])
        await rec.written(2)
        rep.push([item("started", "commandExecution")])
        await rec.written(3)
        tg.cancel_scope.cancel()
    assert rec.batches == [["item", "messageDelta"], ["item", "tokenUsage", "turnCompleted"], ["item"]]


@pytest.mark.anyio
async def test_large_turn_events_split_into_writes_within_the_batch_bound() -> None:
    """Turn ends carrying Codex's JSON of the turn (up to 64 Ki characters each) and errors: every write stays within
    MAX_BATCH_BYTES, whatever the events' count."""
    from codex_convex.host_api.models import IngestEventTurnCompleted, TurnError

    rec = Recording()
    rep = Replicator(rec, "c")  # type: ignore[arg-type]
    big = "x" * 60_000
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        rep.push([IngestEventTurnCompleted(thread_id="t", turn_id=f"x{i}", status="failed", json_=big,
                                           error=TurnError(message=big[:8000]), at=0) for i in range(200)])
        await rep.flush(timeout_s=10)
        tg.cancel_scope.cancel()
    assert sum(len(b) for b in rec.batches) == 200 and len(rec.batches) > 1
    assert max(rec.sizes) <= replicator_mod.MAX_BATCH_BYTES


@pytest.mark.anyio
async def test_fast_deltas_are_written_sixteen_at_a_time_after_the_first() -> None:
    rec = Recording()
    rep = Replicator(rec, "c", Coalescing(max_delta_writes_per_s=20))  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        for i in range(1 + 16 * 4):
            rep.push([_delta(i)])
            await anyio.sleep(0.002)  # a burst: far closer together than the cap's 50 ms
        await rep.flush(timeout_s=5)
        tg.cancel_scope.cancel()
    # the first at once; then a write whenever 16 wait (more if they piled up behind a write in flight)
    assert rec.deltas[0] == 1 and sum(rec.deltas) == 65
    assert rep.delta_writes == rep.writes == len(rec.deltas) <= 6, rec.deltas  # 5, one more if the box stalls


@pytest.mark.anyio
async def test_a_stream_slower_than_the_cap_is_written_delta_by_delta_at_once() -> None:
    rec = Recording()
    rep = Replicator(rec, "c", Coalescing(max_delta_writes_per_s=50))  # type: ignore[arg-type]
    pushed: list[float] = []
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        for i in range(5):
            pushed.append(anyio.current_time())
            rep.push([_delta(i)])
            await anyio.sleep(0.03)  # 30 ms apart: slower than 50 writes/s
        await rep.flush(timeout_s=5)
        tg.cancel_scope.cancel()
    # each written alone, at once (the age rule would have held each up to 100 ms for company)
    assert rec.deltas == [1] * 5 and max(a - p for a, p in zip(rec.at, pushed, strict=True)) < 0.02


@pytest.mark.anyio
async def test_a_turns_end_and_the_deltas_before_it_wait_for_its_record_in_one_write() -> None:
    """A turn ended with the answer's last deltas not yet written: the host holds the write for the turn's record
    from Codex, so the deltas' age rule (100 ms) does not send them alone first; deltas with no turn end pending are
    not held."""
    from codex_convex.host_api.models import IngestEventTurnCompleted

    def end() -> IngestEventTurnCompleted:
        return IngestEventTurnCompleted(thread_id="t", turn_id="x", status="completed", at=0)

    rec = Recording()
    rep = Replicator(rec, "c")  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        rep.push([_delta(0)])  # a burst's first delta: at once
        await rec.written(1)
        rep.push([_delta(1), _delta(2), end()])  # the tail, then the live end
        release = rep.hold(5.0)
        await anyio.sleep(0.3)  # three times the deltas' age rule
        assert len(rec.batches) == 1, rec.batches
        rep.push([end()])  # the record
        release()
        await rec.written(2)
        rep.push([_delta(3)])  # a delta alone while a hold is taken: its own rules
        release_again = rep.hold(5.0)
        with anyio.fail_after(1):
            await rec.written(3)
        release_again()
        tg.cancel_scope.cancel()
    assert rec.deltas == [1, 2, 1]
    assert rec.batches[1] == ["messageDelta", "turnCompleted", "turnCompleted"], rec.batches


@pytest.mark.anyio
async def test_the_write_cap_holds_on_average_so_a_write_after_a_late_one_need_not_wait() -> None:
    """At 200 deltas/s, 16 deltas per write take the cap's 80 ms: a cap between each pair of writes made every write
    wait for its timer (up to a delta's 5 ms) instead of going with its 16th delta. The cap is a bucket: after a write
    that went late, the next may go up to a quarter spacing (20 ms) early."""
    rec = Recording()
    # 16 per write, at most 12.5 writes/s (the default cap): 80 ms apart on average
    rep = Replicator(rec, "c", Coalescing(deltas_per_write=16))  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        rep.push([_delta(0)])  # a burst's first delta: at once
        await anyio.sleep(0.09)
        rep.push([_delta(i) for i in range(1, 17)])  # 16 wait, 90 ms after: at once (late: the bucket has a spare)
        await rec.written(2)
        await anyio.sleep(0.065 - (anyio.current_time() - rec.at[1]))
        pushed = anyio.current_time()
        rep.push([_delta(i) for i in range(17, 33)])  # 16 more, 65 ms after that write: goes now, not at 80 ms
        await rec.written(3)
        tg.cancel_scope.cancel()
    assert rec.deltas == [1, 16, 16]
    assert rec.at[2] - pushed < 0.01, rec.at  # a strict 80 ms spacing held it ~15 ms


@pytest.mark.anyio
@pytest.mark.parametrize("cap", [4.0, 8.0])  # below 1 / min_write_interval_s (10/s): the cap, not the interval, binds
async def test_the_write_cap_holds_however_low_it_is_set(cap: float) -> None:
    """``max_delta_writes_per_s=4`` (@convex-dev/agent's default) means at most 4 writes of deltas a second, also when
    deltas keep coming and the 100 ms age rule would send sooner."""
    rec = Recording()
    rep = Replicator(rec, "c", Coalescing(max_delta_writes_per_s=cap))  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        began = anyio.current_time()
        for i in range(60):  # 1.2 s of deltas 20 ms apart
            rep.push([_delta(i)])
            await anyio.sleep(0.02)
        fed_for = anyio.current_time() - began
        await rep.flush(timeout_s=5)
        tg.cancel_scope.cancel()
    at = rec.at[:-1]  # the last write is flush()'s, which skips every wait
    assert sum(rec.deltas) == 60
    # a bucket of CAP_BURST writes: any k consecutive writes span at least (k - CAP_BURST) spacings
    for i in range(len(at)):
        for j in range(i + 1, len(at)):
            assert at[j] - at[i] >= (j - i + 1 - replicator_mod.CAP_BURST) / cap - 0.005, (i, j, at)
    assert len(at) <= replicator_mod.CAP_BURST + fed_for * cap, (fed_for, rec.deltas)


@pytest.mark.anyio
async def test_a_batch_refused_while_the_thread_is_replaced_waits_and_goes_once_the_sync_finished() -> None:
    from codex_convex.errors import ConvexApiError

    class Replacing(FakeIngest):
        """Refuses the first writes with E_SYNC_REPLACING (a sync job replacing the thread's turns), then accepts."""

        def __init__(self) -> None:
            super().__init__(seed=0, fail_rate=0.0)
            self.refused = 0

        async def ingest_events(self, **kw: Any) -> Any:
            if self.refused < 3:
                self.refused += 1
                raise ConvexApiError("a sync job is replacing this thread's turns", code="E_SYNC_REPLACING")
            return await super().ingest_events(**kw)

    fake = Replacing()
    rep = Replicator(fake, "c", Coalescing(min_write_interval_s=0.0))  # type: ignore[arg-type]
    async with anyio.create_task_group() as tg:
        await tg.start(rep.run)
        rep.push([IngestEventTurnStarted(thread_id="t", turn_id="x", at=0)])
        await rep.flush(timeout_s=10)  # raises if the refusal had stopped replication
        tg.cancel_scope.cancel()
    assert fake.refused == 3 and fake.applied == ["turnStarted"]
