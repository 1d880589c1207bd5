"""The live benchmark's timeline (tools/bench/timeline.py) on a real backend: a `--verbose` backend logs each call's
arrival, run and end and each push on the monotonic clock the host's `time.perf_counter()` reads, so a write's path
from the host to a second client's subscription splits into hops that are all real durations and add up to the
whole, measured from the client's side."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi
from tools.bench.backend import bare_hops
from tools.bench.timeline import HOPS, delta_timeline, paced_bound

pytestmark = [pytest.mark.anyio, pytest.mark.backend]

WRITES = 6


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("timeline"), verbose=True) as b:
        yield b


async def test_each_write_splits_into_hops_that_add_up_to_what_the_client_measured(backend: LocalBackend) -> None:
    token = mint_dev_token(backend.data_dir, "timeline")
    thread, turn, item = f"th-{time.time_ns()}", "t1", "m1"
    writes: list[tuple[float, float, int, int]] = []
    seen_at: dict[int, float] = {}
    async with ConvexHttp(backend.url, token=token) as http:
        api = HostApi(http)
        cid = (await api.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
        now = time.time() * 1000
        seq = int((await api.ingest_events(conversation_id=cid, stream_id="s", seq=0, events=[
            {"type": "turnStarted", "threadId": thread, "turnId": turn, "at": now},
            {"type": "item", "threadId": thread, "turnId": turn, "itemId": item, "phase": "started",
             "itemType": "agentMessage", "part": 0, "partCount": 1,
             "data": json.dumps({"type": "agentMessage", "id": item, "text": ""}), "at": now}])).next_seq)
        watcher = Subscriber(backend.url, token=token)
        shown = anyio.Event()

        async def watch() -> None:
            nonlocal shown
            # a streaming message's text, as clients read it (its view carries it without)
            async for page in watcher.watch("chat:getMessageSegments", {"threadId": thread, "turnId": turn,
                                                                       "itemId": item}):
                at = time.perf_counter()
                text = page["text"] if page["found"] else ""
                for i in range(text.count("d")):
                    seen_at.setdefault(i, at)
                shown.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(watch)
            with anyio.fail_after(10):  # subscribed: the first answer is in (it is not a commit's push)
                await shown.wait()
            for k in range(WRITES):
                shown = anyio.Event()
                sent = time.perf_counter()
                seq = int((await api.ingest_events(conversation_id=cid, stream_id="s", seq=seq, events=[
                    {"type": "messageDelta", "threadId": thread, "turnId": turn, "itemId": item,
                     "firstDelta": k, "deltaCount": 1, "text": "d", "at": now}])).next_seq)
                writes.append((sent, time.perf_counter(), k, k + 1))
                with anyio.fail_after(10):
                    while k not in seen_at:
                        await shown.wait()
                        shown = anyio.Event()
            tg.cancel_scope.cancel()
        watcher.close()

    for _ in range(50):  # the backend logs a push just after sending it: the watcher may see it first
        log_text = await anyio.Path(backend.log_file).read_text(encoding="utf-8")
        t = delta_timeline(writes, seen_at, log_text.splitlines())
        if t["unmatched"] == 0:
            break
        await anyio.sleep(0.1)
    assert t["writes"] == WRITES and t["unmatched"] == 0 and t["negative_hops"] == 0, t
    assert set(t["hops"]) == set(HOPS)
    for hop, s in t["hops"].items():
        assert s["n"] == WRITES, (hop, s)
    # the hops tile the client's own measure of each write's path: sent → the watcher saw it
    whole = sum(seen_at[k] - sent for sent, _, k, _ in writes) / WRITES * 1000
    assert sum(s["mean_ms"] for s in t["hops"].values()) == pytest.approx(whole, abs=0.05)
    # and the backend's part lies inside the HTTP call the client timed (the clocks agree)
    assert t["hops"]["to_backend"]["max_ms"] < max(a - s for s, a, _, _ in writes) * 1000


def test_a_log_without_timings_matches_nothing(tmp_path: Path) -> None:
    """A backend without --verbose logs calls without their timeline: nothing is guessed."""
    lines = [json.dumps({"event": "call", "path": "chat:ingestEvents", "ms": 3.1})]
    assert delta_timeline([(1.0, 1.01, 0, 1)], {0: 1.02}, lines) == {
        "writes": 0, "unmatched": 1, "negative_hops": 0, "watcher_connection": None, "hops": {}}


async def test_the_bare_round_trip_splits_into_the_same_hops() -> None:
    """`bench live --timeline` times the bare round trip it compares a stream with hop by hop too (its own backend,
    its watcher in a process of its own): every round trip is matched in the backend's log and no hop is negative."""
    t = await bare_hops(8, 0.0)
    assert t["writes"] + t["unmatched"] == 8 and t["writes"] >= 7 and t["negative_hops"] == 0, t
    assert set(t["hops"]) == set(HOPS)


def _split(**p50_ms: float) -> dict[str, Any]:
    return {"hops": {h: {"p50_ms": p50_ms[h]} for h in HOPS}}


def test_paced_bound_says_whether_a_faster_backend_could_meet_the_ratio() -> None:
    warm = _split(to_backend=0.1, before_run=0.1, mutation=0.4, queued=0.05, view_rerun=0.2, to_watcher=0.45)
    # this VM's kind of idle penalty: the hops around a call cost 2.8x warm when paced, so even a backend doing no
    # work leaves the paced stream over 2x the warm round trip
    idle = _split(to_backend=0.55, before_run=0.35, mutation=0.9, queued=0.1, view_rerun=0.3, to_watcher=1.0)
    b = paced_bound(0.2, warm, idle, 2.0)
    assert b["around_paced_ms"] == 2.0 and b["around_back_to_back_ms"] == 0.7 and b["work_paced_ms"] == 1.2
    assert b["slack_ms_backend_free"] == pytest.approx(2 * 0.7 - 2.2)
    assert b["slack_ms_backend_as_now"] == pytest.approx(2 * 1.3 - 3.4)
    assert b["reachable_by_backend_speed"] is False
    # a box that idles cheaply: room with the backend as it is
    mild = _split(to_backend=0.15, before_run=0.12, mutation=0.5, queued=0.06, view_rerun=0.22, to_watcher=0.6)
    b = paced_bound(0.2, warm, mild, 2.0)
    assert b["slack_ms_backend_as_now"] == pytest.approx(2 * 1.3 - 1.85) and b["slack_ms_backend_free"] > 0
    assert b["reachable_by_backend_speed"] is True
