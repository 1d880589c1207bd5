"""Property test of the server's sequence/gap logic (the real ingest endpoint): whatever mix of duplicate,
overlapping, in-order and gapped batches a host sends, each answer follows the rule and the stored message is every
delta exactly once, in order."""

from __future__ import annotations

import json
import uuid

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from codex_convex.host_api.reads import message_text
from tests.conftest import Deployment
from tests.support import page_opts

N = 30  # deltas in the stream


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, N - 1), st.integers(1, 6)), min_size=1, max_size=25))
def test_any_batch_order_stores_each_delta_once(deployment: Deployment, sends: list[tuple[int, int]]) -> None:
    thread = f"prop-{uuid.uuid4().hex}"
    deltas = [{"type": "messageDelta", "threadId": thread, "turnId": "t", "itemId": "m", "firstDelta": i,
               "deltaCount": 1, "text": f"<{i}>", "at": 0.0} for i in range(N)]
    started = {"type": "item", "threadId": thread, "turnId": "t", "itemId": "m", "phase": "started",
               "itemType": "agentMessage", "part": 0, "partCount": 1,
               "data": json.dumps({"type": "agentMessage", "id": "m", "text": ""}), "at": 0.0}
    events = [started, *deltas]  # seq i+1 is delta i

    async def run() -> None:
        async with ConvexHttp(deployment.url, token=deployment.alice) as http:
            api = HostApi(http)
            cid = (await api.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
            expected = 0
            for start, length in [(0, 1), *sends]:
                batch = events[start:start + length]
                r = await api.ingest_events(conversation_id=cid, stream_id="s", seq=start, events=batch)
                if start > expected:
                    assert (r.status, r.next_seq) == ("gap", expected)
                elif start + len(batch) <= expected:
                    assert (r.status, r.next_seq) == ("duplicate", expected)
                else:
                    assert r.status == "accepted" and r.applied == start + len(batch) - expected
                    expected = start + len(batch)
            while expected < len(events):  # the host re-sends from where the server stands
                r = await api.ingest_events(conversation_id=cid, stream_id="s", seq=expected,
                                            events=events[expected:expected + 7])
                expected = int(r.next_seq)
            page = await api.list_messages(conversation_id=cid, pagination_opts=page_opts(None, 5))
            assert page.page[0].status == "streaming"  # listed without its text: it is read as it streams
            assert await message_text(api, page.page[0]) == "".join(f"<{i}>" for i in range(N))

    anyio.run(run)
