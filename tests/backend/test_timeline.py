"""The live benchmark's timeline (tools/bench/timeline.py) on a real backend: a `--verbose` backend logs each call's
arrival, run and end and each push on the monotonic clock the host's `time.perf_counter()` reads, so a write's path
from the host to a second client's subscription splits into hops that are all real durations and add up to the
whole, measured from the client's side."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi
from tools.bench.timeline import HOPS, delta_timeline

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
