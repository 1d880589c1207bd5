"""A replace larger than one job step, watched by a second client (#19): the host re-syncs a thread whose later
turns changed (a rollback to turn 20, ten turns rewritten); the job takes many steps, and a subscription to the
conversation's view and to the thread's turns sees the old version, then the new one — never a mix. Live writes
to the thread wait for the swap, then land."""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest

from codex_convex.convex_api import Subscriber
from codex_convex.host_api import HostApi, HostSubscriptions
from codex_convex.host_api.limits import TURNS_PAGE_MAX
from codex_convex.host_api.models import GetConversationViewFound, IngestEventLifecycle
from codex_convex.replication import Replicator
from codex_convex.sync import import_thread
from tests.conftest import Deployment
from tests.support import assert_same_json, page_opts

pytestmark = [pytest.mark.anyio]


def thread(thread_id: str, turns: int, rewritten_from: int | None = None) -> dict[str, Any]:
    """A thread as ``thread/read`` gives it: each turn a question, an answer and a command."""
    out = []
    for i in range(turns):
        text = f"answer {i}" if rewritten_from is None or i < rewritten_from else f"rewritten {i}"
        out.append({"id": f"turn-{i}", "status": "completed", "error": None, "items": [
            {"type": "userMessage", "id": f"u{i}", "content": [{"type": "text", "text": f"question {i}"}]},
            {"type": "agentMessage", "id": f"m{i}", "text": text},
            {"type": "commandExecution", "id": f"c{i}", "command": f"echo {i}", "cwd": "/w", "processId": None,
             "status": "completed", "commandActions": [], "aggregatedOutput": text, "exitCode": 0, "durationMs": 1},
        ]})
    return {"id": thread_id, "preview": "question 0", "turns": out}


@pytest.mark.timeout(600)
async def test_a_second_client_sees_the_old_version_then_the_new_never_a_mix(deployment: Deployment,
                                                                              alice_api: HostApi) -> None:
    tid = f"replace-{uuid.uuid4()}"
    current = thread(tid, 160)

    async def read(method: str, params: dict[str, Any]) -> Any:
        return {"thread": current}

    async with Subscriber(deployment.url, http=alice_api.http) as subscriber:
        first = await import_thread(read, alice_api, subscriber, tid)
        assert first.state == "synced", first
        cid = first.conversation_id
        watch = HostSubscriptions(subscriber)
        # each subscription on its own (two queries' updates reach the client as two values, not one)
        seen: dict[str, list[Any]] = {"view": [], "turns": []}
        both = anyio.Event()

        def shown(name: str, value: Any) -> Any:
            if name == "turns":
                return tuple((t.turn_id, t.ordinal, t.json) for t in value.page)
            assert isinstance(value, GetConversationViewFound)
            return tuple((m.turn_id, m.item_id, m.text) for m in value.messages)

        async def follow(name: str, it: Any) -> None:
            async for value in it:
                s = shown(name, value)
                if not seen[name] or seen[name][-1] != s:
                    seen[name].append(s)
                if seen["view"] and seen["turns"]:
                    both.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(follow, "view", watch.get_conversation_view(conversation_id=cid, num_messages=100))
            tg.start_soon(follow, "turns", watch.list_turns(thread_id=tid, pagination_opts=page_opts(num_items=100)))
            with anyio.fail_after(30):
                await both.wait()
            old = {name: values[0] for name, values in seen.items()}
            current = thread(tid, 30, rewritten_from=20)  # Codex rolled back to turn 20, then ten turns again
            replaced = await import_thread(read, alice_api, subscriber, tid)
            assert replaced.state == "synced" and replaced.kind == "replaced" and replaced.from_turn == 20, replaced
            # live writes to the thread wait while the clean-up runs, then land
            rep = Replicator(alice_api, cid)
            await rep.start(tg)
            rep.push([IngestEventLifecycle(thread_id=tid, turn_id="turn-29", kind="note", message="after", at=1)])
            await rep.flush(timeout_s=60)
            await anyio.sleep(0.5)  # the last updates of the subscriptions
            tg.cancel_scope.cancel()

    new = {name: values[-1] for name, values in seen.items()}
    # a page of listTurns holds TURNS_PAGE_MAX turns: the rewritten ones from 20 among them
    assert [t for t, _, _ in new["turns"]] == [f"turn-{i}" for i in range(TURNS_PAGE_MAX)] and TURNS_PAGE_MAX > 20
    assert ("turn-25", "m25", "rewritten 25") in new["view"]
    assert ("turn-159", "m159", "answer 159") in old["view"]
    # every value a subscription delivered was the old version or the new one, in that order: never a mix
    for name, values in seen.items():
        mixed = [v for v in values if v not in (old[name], new[name])]
        assert not mixed, (name, mixed[0])
        assert values == [old[name], new[name]], name
    # and what is stored reads back as Codex has the thread now
    from codex_convex.host_api.reads import read_codex_thread
    got = await read_codex_thread(alice_api, tid)
    assert got is not None
    assert_same_json([t["id"] for t in got["turns"]], [t["id"] for t in current["turns"]])
    job = await alice_api.get_conversation_sync_job(job_id=replaced.job_id)
    assert job.job.processed_records == replaced.records  # type: ignore[union-attr]
