"""Reads while a message streams (DESIGN §12, issue #24).

PTS #58 (reads per update grow with the message): a live reader of a 2 MB streaming message re-reads one page per
update, not the whole text, so the bytes read per update stay flat from the first half of the stream to the second
(backend read counters, GET /api/metrics), and the reader ends with exactly the text of the deltas.
agent#321 (a cursor that splits a message): paging through a conversation whose messages straddle page boundaries
while one of them streams gives every message once and whole."""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi
from codex_convex.runtime import watch_message_text
from tests.support import page_opts, persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.backend]

KiB = 1024
DELTA_CHARS = 8 * KiB
DELTAS = 256  # 2 MiB in all


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("streaming-reads")) as b:
        yield b


@pytest.fixture
async def api(backend: LocalBackend) -> AsyncIterator[HostApi]:
    async with ConvexHttp(backend.url, token=mint_dev_token(backend.data_dir, "reader")) as http:
        yield HostApi(http)


def metrics(backend: LocalBackend, path: str) -> dict[str, Any]:
    assert backend.info is not None
    r = httpx.get(f"{backend.url}/api/metrics", headers={"Authorization": f"Convex {backend.info.admin_key}"})
    out: dict[str, Any] = r.json()["byPath"].get(path, {"calls": 0, "total": {"bytesRead": 0}, "max": {"bytesRead": 0}})
    return out


async def start_message(api: HostApi, thread: str, turn: str, item: str) -> str:
    cid = (await api.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
    now = time.time() * 1000
    await api.ingest_events(conversation_id=cid, stream_id="s", seq=0, events=[
        {"type": "turnStarted", "threadId": thread, "turnId": turn, "at": now},
        {"type": "item", "threadId": thread, "turnId": turn, "itemId": item, "phase": "started",
         "itemType": "agentMessage", "part": 0, "partCount": 1, "data": json.dumps(
             {"type": "agentMessage", "id": item, "text": ""}), "at": now}])
    return cid


async def test_a_live_reader_of_a_2mb_message_reads_one_page_per_update(backend: LocalBackend, api: HostApi) -> None:
    thread, turn, item = f"th-{time.time_ns()}", "t1", "msg_big"
    cid = await start_message(api, thread, turn, item)
    rng = random.Random(58)
    deltas = ["".join(rng.choices(string.ascii_letters + "é€ ", k=DELTA_CHARS)) for _ in range(DELTAS)]
    expected = "".join(deltas)
    seen: list[str] = []
    subscriber = Subscriber(backend.url, token=mint_dev_token(backend.data_dir, "reader"))

    async def read() -> None:
        async for text in watch_message_text(subscriber, thread_id=thread, turn_id=turn, item_id=item):
            seen.append(text)
            if text == expected:
                return

    path = "chat:getMessageSegments"
    halves = []
    with anyio.fail_after(240):
        async with anyio.create_task_group() as tg:
            tg.start_soon(read)
            await anyio.sleep(0.5)
            base = metrics(backend, path)
            for i, d in enumerate(deltas):
                await api.ingest_events(conversation_id=cid, stream_id="s", seq=2 + i, events=[
                    {"type": "messageDelta", "threadId": thread, "turnId": turn, "itemId": item, "firstDelta": i,
                     "deltaCount": 1, "text": d, "at": time.time() * 1000}])
                if i + 1 in (DELTAS // 2, DELTAS):
                    await anyio.sleep(0.5)  # let the reader catch up before counting
                    now = metrics(backend, path)
                    halves.append({k: now["total"]["bytesRead"] - base["total"]["bytesRead"] if k == "bytes"
                                   else now["calls"] - base["calls"] for k in ("bytes", "calls")})
                    base = now
    assert seen[-1] == expected  # the reader's text is the deltas' text, nothing lost at the tail
    first, second = halves
    per_update = [h["bytes"] / max(1, h["calls"]) for h in halves]
    # flat: the second half of the stream (a message twice as long) costs no more per update than the first
    assert per_update[1] <= 1.5 * per_update[0] + 64 * KiB, (halves, per_update)
    assert metrics(backend, path)["max"]["bytesRead"] <= 400 * KiB  # one page (+ the next page's first segment)
    assert first["calls"] + second["calls"] <= 3 * DELTAS + 40  # only the tail's pages re-run


async def test_paging_never_splits_a_message_while_one_streams(api: HostApi) -> None:
    thread = f"th-{time.time_ns()}"
    cid = (await api.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
    now = time.time() * 1000
    events: list[dict[str, Any]] = []
    for t in range(7):  # 7 turns × (user + assistant): 14 messages, pages of 3 straddle turns
        events.append({"type": "turnStarted", "threadId": thread, "turnId": f"t{t}", "at": now + t})
        for kind, iid in (("userMessage", f"u{t}"), ("agentMessage", f"a{t}")):
            body = json.dumps({"type": "userMessage", "id": iid, "content": [{"type": "text", "text": f"q{t}"}]}
                              if kind == "userMessage" else {"type": "agentMessage", "id": iid, "text": ""})
            events.append({"type": "item", "threadId": thread, "turnId": f"t{t}", "itemId": iid, "phase": "started",
                           "itemType": kind, "part": 0, "partCount": 1, "data": body, "at": now + t})
    r = await api.ingest_events(conversation_id=cid, stream_id="s", seq=0, events=events)
    assert r.status == "accepted", r
    seq = len(events)
    long = "x" * 40_000  # spans segments: the list shows its beginning only
    for t in range(7):
        text = long if t == 3 else f"answer {t}"
        await api.ingest_events(conversation_id=cid, stream_id="s", seq=seq, events=[
            {"type": "messageDelta", "threadId": thread, "turnId": f"t{t}", "itemId": f"a{t}", "firstDelta": 0,
             "deltaCount": 1, "text": text, "at": now}])
        seq += 1

    async def walk() -> list[tuple[str, str]]:
        out, cursor = [], None
        while True:
            page = await api.list_messages(conversation_id=cid, pagination_opts=page_opts(cursor, num_items=3))
            out += [(m.turn_id, m.item_id) for m in page.page]
            if page.is_done:
                return out
            cursor = page.continue_cursor

    before = await walk()
    # a delta lands on a message in the middle of the walk (the one straddling pages 2 and 3)
    first = await api.list_messages(conversation_id=cid, pagination_opts=page_opts(None, num_items=3))
    cursor = first.continue_cursor
    await api.ingest_events(conversation_id=cid, stream_id="s", seq=seq, events=[
        {"type": "messageDelta", "threadId": thread, "turnId": "t3", "itemId": "a3", "firstDelta": 1,
         "deltaCount": 1, "text": " and more", "at": now}])
    rest, c = [], cursor
    while True:
        page = await api.list_messages(conversation_id=cid, pagination_opts=page_opts(c, num_items=3))
        rest += [(m.turn_id, m.item_id) for m in page.page]
        if page.is_done:
            break
        c = page.continue_cursor
    assert len(before) == 14 and len(set(before)) == 14
    assert rest == before[3:]  # no message twice, none skipped, although one grew mid-walk
    whole = {(m.turn_id, m.item_id): m.text for m in await persisted_messages(api, cid)}
    assert whole[("t3", "a3")] == long + " and more"  # whole across segments, not cut at a page boundary
