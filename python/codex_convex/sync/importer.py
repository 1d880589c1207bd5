"""Import a local Codex thread into Convex through a durable sync source, resumably and incrementally.

1. Read the thread from Codex (``thread/read``) and plan (``plan.plan_sync``): what the server holds decides
   whether nothing, the new turns, or the turns from where the two part are sent.
2. Chunk those records (pass 1 keeps only hashes and sizes). Start the source with an idempotency key made of the
   thread id, the base and the root hash, so a rerun after a kill finds the same source; ask which chunks the
   server already holds.
3. Upload what it lacks (pass 2 regenerates chunks lazily), a few at a time; seal with totals, root hash and base
   (a base the thread no longer starts with — another sync got there first — is planned again).
4. Follow the job through a subscription to ``getConversationSyncJob`` until it is terminal.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import anyio
import structlog

from ..codex.rpc import JsonObject
from ..convex_api import Subscriber
from ..errors import CodexConvexError, JsonRpcError
from ..events import goal_event
from ..host_api import HostApi, HostSubscriptions
from ..host_api.models import CodedError, IngestEvent, IngestEventThreadGoal, NotFound, SyncJob
from .chunker import Chunk, chunk_records, root_hash
from .plan import Kind, SyncPlan, plan_sync
from .records import ms, thread_records

log = structlog.get_logger("codex_convex.sync")

UPLOAD_CONCURRENCY = 4
TERMINAL = frozenset({"synced", "failed", "cancelled"})

Request = Callable[[str, JsonObject], Awaitable[JsonObject]]  # a Codex request (``CodexHost.request``)


@dataclass(frozen=True)
class UploadProgress:
    done: int  # chunks the server holds
    total: int


Progress = Callable[[UploadProgress | SyncJob], None]  # upload progress, then every new state of the job


class SyncFailedError(CodexConvexError):
    code = "E_SYNC_FAILED"


@dataclass(frozen=True)
class ImportResult:
    thread_id: str
    conversation_id: str
    job_id: str | None  # None: nothing to send (up to date)
    state: str  # public state: synced | failed | cancelled
    records: int  # records this sync carries (the header and the turns from `from_turn`)
    chunks: int
    bytes: int
    uploaded_chunks: int  # chunks sent by this run (fewer than `chunks` when resuming)
    resumed: bool
    seconds: float
    max_step_bytes_read: int
    error: CodedError | None
    kind: Kind = "new"  # new | up_to_date | appended | replaced
    from_turn: int = 0  # the first turn sent
    turns_sent: int = 0


async def _held(api: HostApi, source_id: str) -> dict[int, str]:
    held: dict[int, str] = {}
    after = -1
    while True:
        page = await api.list_conversation_sync_source_chunks(source_id=source_id, after_index=after)
        for c in page.chunks:
            held[int(c.chunk_index)] = c.sha256
            after = int(c.chunk_index)
        if page.is_done:
            return held


async def import_thread(request: Request, api: HostApi, subscriber: Subscriber, thread_id: str, *,
                        conversation_id: str | None = None, on_progress: Progress | None = None,
                        concurrency: int = UPLOAD_CONCURRENCY, timeout_s: float = 1800.0,
                        throttle_s: float = 0.0) -> ImportResult:
    """Import ``thread_id``; returns when its job is terminal. Raises nothing for a failed job: check ``state``.

    :raises CodexConvexError: a refused call (with its code), or ``E_SYNC_TIMEOUT``.
    """
    started = time.perf_counter()
    read = await request("thread/read", {"threadId": thread_id, "includeTurns": True})
    thread = cast(dict[str, Any], read["thread"])
    goal = await _goal(request, thread)
    for attempt in range(3):
        plan = await plan_sync(api, thread, goal)
        if plan.kind == "up_to_date" and plan.conversation_id is not None:
            return ImportResult(thread_id, plan.conversation_id, None, "synced", 0, 0, 0, 0, False,
                                time.perf_counter() - started, 0, None, "up_to_date", plan.from_turn, 0)
        try:
            result = await _send(api, subscriber, thread, goal, plan, started, conversation_id=conversation_id,
                                 on_progress=on_progress, concurrency=concurrency, timeout_s=timeout_s,
                                 throttle_s=throttle_s)
        except CodexConvexError as exc:
            if exc.code != "E_SYNC_BASE_CHANGED" or attempt == 2:
                raise
            log.info("sync.replan", thread_id=thread_id, reason=exc.code)
            continue
        # another sync changed the thread between seal and the job's first step: plan again from what is there
        if result.error is None or result.error.code != "E_SYNC_BASE_CHANGED" or attempt == 2:
            return result
        log.info("sync.replan", thread_id=thread_id, reason=result.error.code)
    raise AssertionError("unreachable")


async def _goal(request: Request, thread: dict[str, Any]) -> IngestEventThreadGoal | None:
    """The thread's goal record (``thread/goal/get``; ``goal: null`` when it has none), or None when Codex does not
    say (then the server's goal is left as it is)."""
    try:
        got = await request("thread/goal/get", {"threadId": thread["id"]})
    except JsonRpcError as exc:
        log.info("sync.goal_unread", thread_id=thread["id"], error=str(exc))
        return None
    if "goal" not in got:  # not Codex answering (a saved thread/read)
        return None
    goal = got["goal"]
    return goal_event(str(thread["id"]), goal if isinstance(goal, dict) else None, ms(thread.get("createdAt")))


async def _send(api: HostApi, subscriber: Subscriber, thread: dict[str, Any], goal: IngestEventThreadGoal | None,
                plan: SyncPlan, started: float, *,
                conversation_id: str | None, on_progress: Progress | None, concurrency: int, timeout_s: float,
                throttle_s: float) -> ImportResult:
    thread_id = str(thread["id"])
    hashes: list[str] = []
    records = size = 0
    def sent() -> Iterator[IngestEvent]:  # the records this sync carries, made again for each pass
        return thread_records(thread, from_turn=plan.from_turn, turn_digests=plan.turn_digests, goal=goal)

    for c in chunk_records(sent()):  # pass 1: hashes and totals only
        hashes.append(c.sha256)
        records += c.record_count
        size += c.byte_count
    root = root_hash(hashes)
    base_key = "all" if plan.base is None else f"{plan.base.keep_turns}"
    key = f"thread:{thread_id}:{base_key}:{root[:32]}"
    opened = await api.start_conversation_sync_source(thread_id=thread_id, idempotency_key=key,
                                                      conversation_id=conversation_id)
    source, conversation = opened.source, opened.conversation
    source_id = source.source_id
    log.info("sync.source", thread_id=thread_id, source_id=source_id, resumed=opened.resumed, kind=plan.kind,
             from_turn=plan.from_turn, chunks=len(hashes), records=records)
    uploaded = 0
    if source.state == "collecting":
        held = await _held(api, source_id)
        todo = [i for i, h in enumerate(hashes) if held.get(i) != h]
        done = len(hashes) - len(todo)
        if on_progress:
            on_progress(UploadProgress(done, len(hashes)))
        slots = anyio.Semaphore(concurrency)  # also bounds how many payloads are in memory at once
        wanted = set(todo)

        async def send(c: Chunk) -> None:
            nonlocal done, uploaded
            try:
                await api.append_conversation_sync_source_chunk(
                    source_id=source_id, chunk_index=c.index, payload=c.payload, sha256=c.sha256,
                    record_count=c.record_count)
                if throttle_s:
                    await anyio.sleep(throttle_s)
            finally:
                slots.release()
            done += 1
            uploaded += 1
            if on_progress:
                on_progress(UploadProgress(done, len(hashes)))

        async with anyio.create_task_group() as tg:
            for c in chunk_records(sent()):  # pass 2: payloads, lazily
                if c.index in wanted:
                    await slots.acquire()
                    tg.start_soon(send, c)
        sealed = await api.seal_conversation_sync_source(source_id=source_id, total_chunks=len(hashes),
                                                         total_records=records, total_bytes=size, root_hash=root,
                                                         base=plan.base)
        job_id = sealed.job_id
    elif source.state == "sealed" and source.job_id is not None:
        job_id = source.job_id
    else:
        raise SyncFailedError(f"the source failed: {source.error}", code="E_SYNC_SOURCE_FAILED")
    job: SyncJob | None = None
    with anyio.move_on_after(timeout_s) as scope:
        async for got in HostSubscriptions(subscriber).get_conversation_sync_job(job_id=job_id):
            if isinstance(got, NotFound):
                continue
            job = got.job
            if on_progress:
                on_progress(job)
            if job.public_state in TERMINAL:
                break
    if scope.cancelled_caught or job is None:
        raise SyncFailedError(f"the import job did not finish within {timeout_s:g} s", code="E_SYNC_TIMEOUT")
    turns = len(thread.get("turns") or [])
    return ImportResult(thread_id, conversation.conversation_id, job_id, job.public_state, records, len(hashes),
                        size, uploaded, opened.resumed, time.perf_counter() - started,
                        int(job.max_step_bytes_read or 0), job.last_error, plan.kind, plan.from_turn,
                        turns - plan.from_turn)
