"""Sequenced, coalesced replication of one conversation's events into the component (DESIGN §6).

No fixed flush timer: each pending event has a time by which it must be written, and a write goes when the
earliest comes, carrying everything pending (bounded by bytes and count); while a write is in flight, events gather
for the next. The times:

- A person's message (its item completed) and an approval asked or resolved: at once (a person just sent it, or
  waits on an answer), with whatever waits (the turn's start, 10-20 ms before the message).
- Other turn, item and thread events wait for company: they go once ``linger_s`` (20 ms) passed with no other event,
  and the oldest never waits more than 3 lingers (60 ms); one Codex follows with its sequel (a turn's start, an agent
  message or reasoning starting, an agent message's end, the token usage) waits for company up to that bound, so a
  loaded box's wider gaps do not split it from its sequel. Codex sends them in clusters 10-16 ms apart (a turn's start
  and its user message; an agent message's end, the token usage, the thread's status and the turn's end), and a
  turn's end (with the answer's last deltas pending before it) waits (:meth:`Replicator.hold`, at most 250 ms) for the
  host's record of it from Codex: a short turn costs 3 writes (its start and message, its answer's first delta, the
  rest: 10 if each went alone).
- Message deltas (streaming text, the one thing that can outrun writes) follow a rule by count and age: the first
  delta of a burst (arriving 80 ms, the write cap's spacing, or more after the last write of deltas) at once; after
  it, deltas gather until ``deltas_per_write`` (17) wait, or a delta arrives ``min_write_interval_s`` (100 ms)
  or more after that write, or the oldest has waited that long, whichever comes first; writes carrying deltas alone
  are at most ``max_delta_writes_per_s`` (12.5) a second per stream, held as a bucket of 1.25 writes (CAP_BURST):
  k consecutive writes span at least (k - 1.25) / 12.5 s. Cost is then bounded by deltas, not time
  (≤ 1,000/17 streaming writes per 1,000 deltas when they come fast; fewer still past 200 deltas/s, where the cap
  gathers more per write); a stream slower than the cap (a delta every 80 ms or less often) sends each at once.

Trade-off: a larger count lowers cost and raises latency (tools/bench/live.py measures both across rates).
``flush()`` skips every wait. Adjacent deltas of one message merge into one event.

Every batch carries its first sequence number; the server accepts the next one, ignores what it has, and answers
a gap with the sequence it expects. A batch the server refuses with a code is never dropped silently: it stops
the replicator and :meth:`flush` raises it — except E_SYNC_REPLACING (a sync job is replacing the thread's turns):
the batch waits, with backoff, and goes once the job finished.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import structlog
from anyio.abc import TaskGroup

from ..errors import CodexConvexError, ConvexApiError, ConvexTransportError
from ..host_api import HostApi
from ..host_api.limits import MAX_EVENTS_PER_BATCH
from ..host_api.models import (
    IngestEvent,
    IngestEventItem,
    IngestEventMessageDelta,
    IngestEventMessageText,
    IngestEventServerRequest,
    IngestEventServerRequestResolved,
    IngestEventTokenUsage,
    IngestEventTurnCompleted,
    IngestEventTurnPlan,
    IngestEventTurnStarted,
    IngestResult,
)

log = structlog.get_logger("codex_convex.replication")

MAX_BATCH_BYTES = 4 * 1024 * 1024  # well under Convex's 16 MiB argument limit
MIN_WRITE_INTERVAL_S = 0.1  # the most a delta waits for company
# A write goes as soon as this many deltas wait: ≤ 1,000/17 (59) streaming writes per 1,000 deltas, so a streamed
# answer with its turn's start and end stays within upstream's 62 writes per 1,000 deltas (DESIGN §6). 16 cannot:
# 62.5 per 1k in the limit, 63-66 measured with the turn's own writes (tools/bench/RESULTS.md, sessions 21 and 23), for
# a median 2.5 ms shorter at 200 deltas/s (half an interval between deltas).
DELTAS_PER_WRITE = 17
MAX_DELTA_WRITES_PER_S = 12.5  # and never more often than this per stream (a 1,000 deltas/s stream: 80 per write)
# The cap is a bucket of 1.25 writes, so it holds on average, not between each pair: a write may go up to a quarter
# spacing (20 ms at 12.5/s) early after one that went late. At 200 deltas/s the count rule's pace (17 deltas = 85 ms)
# is near the cap's (80 ms), and a strict spacing made a write that came late wait for the cap's timer, not for its
# 17th delta, the next time. Any k consecutive writes of deltas still span at least (k - 1.25) spacings.
CAP_BURST = 1.25
LINGER_S = 0.02  # turn, item and thread events go once this passed with no other
MAX_LINGERS = 3  # however many follow, the oldest of them waits at most 3 lingers (60 ms)
# Approvals (a person waits on them); and a person's message, see _at_once.
AT_ONCE = (IngestEventServerRequest, IngestEventServerRequestResolved)
RETRY_BACKOFF_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def _size(ev: IngestEvent) -> int:
    """About the event's size on the wire: its one long string field plus the rest."""
    match ev:
        case IngestEventItem(data=text) | IngestEventMessageText(text=text) | IngestEventMessageDelta(text=text):
            return len(text) + 200
        case IngestEventServerRequest(params_json=text):
            return len(text) + 200
        case IngestEventTurnPlan(steps=steps, explanation=explanation):
            return sum(len(s.step) + 40 for s in steps) + len(explanation or "") + 200
        case IngestEventTurnStarted(json_=text):
            return len(text or "") + 200
        case IngestEventTurnCompleted(json_=text, error=error, keep_items=keep, codex_items=kept):
            ids = len(keep or []) + len(kept or [])
            return len(text or "") + (len(error.model_dump_json()) if error else 0) + 40 * ids + 200
    return 200


def _leads(ev: IngestEvent) -> bool:
    """An event Codex follows with its sequel within a few ms: a turn's start (its person's message), an agent
    message or reasoning starting (their first delta), an agent message ending and the token usage (the turn's
    end, or the next item). Its wait for company goes to the bound (MAX_LINGERS lingers): on a loaded box the sequel
    may come more than a linger later, and the two would cost a write each."""
    if isinstance(ev, IngestEventTurnStarted | IngestEventTokenUsage):
        return True
    return isinstance(ev, IngestEventItem) and (
        ev.item_type == "agentMessage" or (ev.item_type == "reasoning" and ev.phase == "started"))


def _at_once(ev: IngestEvent) -> bool:
    """Due at once: approvals, and a person's message once Codex has it (the turn's start waits in the same write)."""
    if isinstance(ev, IngestEventItem):
        return ev.item_type == "userMessage" and ev.phase == "completed" and ev.part + 1 == ev.part_count
    return isinstance(ev, AT_ONCE)


class ReplicationError(CodexConvexError):
    code = "E_REPLICATION_FAILED"


@dataclass(frozen=True)
class Coalescing:
    """How live events gather into writes (the module's rule): the cost/latency trade-off, per conversation.

    :param deltas_per_write: a write goes as soon as this many deltas wait (17: ≤ 1,000/17 writes per 1,000 deltas).
    :param max_delta_writes_per_s: writes of deltas per second per stream at most, on average (12.5; 0: no cap).
        @convex-dev/agent's default, 4, costs less than half at 200 deltas/s for a p50 of ~140 ms at any rate.
    :param min_write_interval_s: the most a delta waits for company (100 ms).
    :param linger_s: a turn, item or thread event goes once this passed with no other (20 ms); the oldest waits at
        most MAX_LINGERS (3) of it, as long as one Codex follows with its sequel (see the module's rule).
    :raises CodexConvexError: ``E_CONFIG_COALESCING`` for a value out of range.
    """

    deltas_per_write: int = DELTAS_PER_WRITE
    max_delta_writes_per_s: float = MAX_DELTA_WRITES_PER_S
    min_write_interval_s: float = MIN_WRITE_INTERVAL_S
    linger_s: float = LINGER_S

    def __post_init__(self) -> None:
        if self.deltas_per_write < 1:
            raise CodexConvexError(f"deltas_per_write must be at least 1, not {self.deltas_per_write}",
                                   code="E_CONFIG_COALESCING")
        for name in ("max_delta_writes_per_s", "min_write_interval_s", "linger_s"):
            if not getattr(self, name) >= 0:  # NaN too
                raise CodexConvexError(f"{name} must not be negative, not {getattr(self, name)}",
                                       code="E_CONFIG_COALESCING")


class Replicator:
    """Replicates events of one conversation over one host stream; run with :meth:`start` inside a task group."""

    def __init__(self, api: HostApi, conversation_id: str, coalescing: Coalescing | None = None, *,
                 stream_id: str | None = None) -> None:
        self.coalescing = coalescing or Coalescing()  # the rule's settings (the cost/latency trade-off)
        self.api = api
        self.conversation_id = conversation_id
        self.stream_id = stream_id or f"host-{uuid.uuid4().hex[:12]}"
        self._pending: list[IngestEvent] = []  # not yet acknowledged, in order; _pending[0] has sequence _seq
        self._seq = 0
        self._in_flight = 0  # how many of _pending[0:] the current write carries
        self._wake = anyio.Event()
        self._idle = anyio.Event()
        self._idle.set()
        self._failed: BaseException | None = None
        self._last_delta_write = -1e9
        self._cap_tokens = CAP_BURST  # the write cap's bucket: a write of deltas takes one; refilled at the cap's rate
        self._cap_tokens_at = -1e9
        self._oldest_delta_at: float | None = None  # when the oldest unsent delta was pushed
        self._events_due: float | None = None  # when the unsent other events must go (see _push_event)
        self._events_since: float | None = None  # when the oldest of them was pushed
        self._urgent = False
        self._holds: dict[object, float] = {}  # the deadline of each hold() not yet released
        self.writes = 0
        self.delta_writes = 0  # writes that carried message deltas (the streaming cost)
        self.events_sent = 0
        # Called after each acknowledged write with its events and when it was sent and answered (perf_counter):
        # where a delta's latency goes (tools/bench/live.py --hops).
        self.on_write: Callable[[list[IngestEvent], float, float], None] | None = None

    @property
    def next_seq(self) -> int:
        return self._seq

    def push(self, events: list[IngestEvent]) -> None:
        """Queue events (in order). Returns at once; the writer sends each by its due time (the module's rule)."""
        if self._failed is not None:
            raise ReplicationError(f"replication stopped: {self._failed}") from self._failed
        now = anyio.current_time()
        for ev in events:
            if isinstance(ev, IngestEventMessageDelta):
                self._oldest_delta_at = self._oldest_delta_at or now
            else:
                self._push_event(ev, now)
            self._append(ev)
        if self._pending:
            self._idle = anyio.Event() if self._idle.is_set() else self._idle
            self._wake.set()

    def _push_event(self, ev: IngestEvent, now: float) -> None:
        """A turn, item or thread event: due at once, or once a linger passed with no other (each one that comes
        meanwhile moves that on), never later than MAX_LINGERS lingers after the oldest."""
        linger = self.coalescing.linger_s
        if _at_once(ev):
            self._events_due, self._events_since = now, self._events_since or now
        elif self._events_due is None or self._events_since is None:
            self._events_due, self._events_since = now + (MAX_LINGERS if _leads(ev) else 1) * linger, now
        elif self._events_due > now:  # not yet gone: wait for more, within the bound
            bound = self._events_since + MAX_LINGERS * linger
            self._events_due = bound if _leads(ev) else min(now + linger, bound)

    def _append(self, ev: IngestEvent) -> None:
        last = self._pending[-1] if len(self._pending) > self._in_flight else None
        if (isinstance(last, IngestEventMessageDelta) and isinstance(ev, IngestEventMessageDelta)
                and last.turn_id == ev.turn_id and last.item_id == ev.item_id
                and last.first_delta + last.delta_count == ev.first_delta
                and len(last.text) + len(ev.text) < 64 * 1024):
            self._pending[-1] = last.model_copy(update={"text": last.text + ev.text,
                                                        "delta_count": last.delta_count + 1})
            return
        self._pending.append(ev)

    def hold(self, timeout_s: float) -> Callable[[], None]:
        """Hold the pending turn, item and thread events, and the deltas pending with them (a turn's tail), until the
        returned function is called or `timeout_s` has passed: the caller is about to push what belongs in the same
        write (a turn's settled record after its live end). Deltas alone, and what is due at once, are not held.
        Releasing twice is harmless."""
        key = object()  # not the deadline: two holds may share one
        self._holds[key] = anyio.current_time() + timeout_s

        def release() -> None:
            if self._holds.pop(key, None) is not None:
                self._wake.set()
        return release

    async def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until every pushed event is acknowledged. :raises ReplicationError: if a batch was refused."""
        self._urgent = True
        self._wake.set()
        with anyio.fail_after(timeout_s):
            while True:
                if self._failed is not None:
                    raise ReplicationError(f"replication stopped: {self._failed}") from self._failed
                if not self._pending:
                    return
                await self._idle.wait()

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            while self._pending and self._failed is None:
                now = anyio.current_time()
                wait = 0.0 if self._urgent else self._due(now) - now
                if wait > 0:
                    with anyio.move_on_after(wait):  # gather; a push that is due sooner or a flush() cuts it short
                        await self._wake.wait()
                    self._wake = anyio.Event()
                    continue
                if any(isinstance(ev, IngestEventMessageDelta) for ev in self._pending):
                    self._cap_tokens = self._tokens(now) - 1
                    self._cap_tokens_at = self._last_delta_write = now
                    self.delta_writes += 1
                self._oldest_delta_at = self._events_due = self._events_since = None
                held = len(self._pending)
                if await self._send_once() < held:  # some did not fit one batch: they are due at once
                    self._events_due = self._events_since = now
            if not self._pending or self._failed is not None:
                self._urgent = False
                self._idle.set()

    def _due(self, now: float) -> float:
        """When the pending events must be written (the earliest of their times; see the module's rule)."""
        due = float("inf")
        held = 0.0  # a hold (hold()) keeps a turn's pending end, and the tail of deltas before it, for its record
        if any(not isinstance(ev, IngestEventMessageDelta) for ev in self._pending):
            due = now if self._events_due is None else self._events_due
            if self._holds and not self._at_once_pending():
                held = max(self._holds.values())
                due = max(due, held)
        waiting = sum(int(ev.delta_count) for ev in self._pending if isinstance(ev, IngestEventMessageDelta))
        if waiting:
            oldest = self._oldest_delta_at if self._oldest_delta_at is not None else now
            cap, interval = self.coalescing.max_delta_writes_per_s, self.coalescing.min_write_interval_s
            spacing = 1.0 / cap if cap > 0 else 0.0  # the cap: a write of deltas per spacing, on average
            burst_gap = min(spacing, interval) if cap > 0 else interval
            tokens = self._tokens(now)
            earliest = now if tokens >= 1 else now + (1 - tokens) * spacing
            if oldest - self._last_delta_write >= burst_gap or now - self._last_delta_write >= interval:
                # a burst's first delta, or the first to arrive once an interval has passed: at once (cap allowing)
                return max(held, min(due, max(now, earliest)))
            # else when deltas_per_write wait or the oldest has waited an interval, never sooner than the cap allows
            gather = now if waiting >= self.coalescing.deltas_per_write else oldest + interval
            due = max(held, min(due, max(gather, earliest)))
        return due

    def _at_once_pending(self) -> bool:
        return any(_at_once(ev) for ev in self._pending[self._in_flight:])

    def _tokens(self, now: float) -> float:
        """The write cap's bucket at `now`: refilled at ``max_delta_writes_per_s``, holding at most CAP_BURST."""
        cap = self.coalescing.max_delta_writes_per_s
        if cap <= 0:
            return CAP_BURST
        return min(CAP_BURST, self._cap_tokens + (now - self._cap_tokens_at) * cap)

    async def start(self, tg: TaskGroup) -> None:
        await tg.start(self.run)

    def _batch(self) -> list[IngestEvent]:
        batch: list[IngestEvent] = []
        size = 0
        for ev in self._pending:
            s = _size(ev)
            if batch and (len(batch) >= MAX_EVENTS_PER_BATCH or size + s > MAX_BATCH_BYTES):
                break
            batch.append(ev)
            size += s
        return batch

    async def _send_once(self) -> int:
        """Send the next batch; :returns: how many events it carried."""
        batch = self._batch()
        self._in_flight = len(batch)
        attempt = 0
        sent_at = time.perf_counter()
        while True:
            try:
                result: IngestResult = await self.api.ingest_events(
                    conversation_id=self.conversation_id, stream_id=self.stream_id, seq=self._seq, events=batch)
                break
            except ConvexApiError as exc:
                # a lost call, or a sync job replacing the thread's turns (it ends, then we write): again, later
                if isinstance(exc, ConvexTransportError) or exc.code == "E_SYNC_REPLACING":
                    delay = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]
                    attempt += 1
                    log.warning("replication.retry", seq=self._seq, attempt=attempt, code=exc.code, error=str(exc))
                    await anyio.sleep(delay)
                    continue
                self._in_flight = 0
                self._failed = exc
                log.error("replication.refused", seq=self._seq, code=exc.code, error=exc.message,
                          first_event=batch[0].model_dump_json(by_alias=True)[:300])
                return len(batch)
        self.writes += 1
        if self.on_write is not None:
            self.on_write(batch, sent_at, time.perf_counter())
        status, next_seq = result.status, int(result.next_seq)
        self._in_flight = 0
        if status in ("accepted", "duplicate"):
            done = next_seq - self._seq
            del self._pending[:max(0, min(done, len(self._pending)))]
            self.events_sent += len(batch) if status == "accepted" else 0
            self._seq = max(self._seq, next_seq)
        else:  # "gap": the server expects an earlier sequence than one it already acknowledged
            self._failed = ReplicationError(
                f"the server expects sequence {next_seq} but {self._seq} was already acknowledged "
                "(the deployment lost acknowledged data)", code="E_REPLICATION_SERVER_BEHIND")
            log.error("replication.server_behind", expected=next_seq, ours=self._seq)
        return len(batch)
