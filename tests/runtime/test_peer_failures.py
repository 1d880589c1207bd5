"""Peer failure classes of DESIGN §12 that need a live turn (issue #24).

agent#323 (tail lost to a throttle): with the replicator's throttle on and the scripted model streaming as fast as
it can, the text the host sent as message deltas is exactly Codex's final text, and Convex counted every delta, so
nothing at the tail was dropped (compared from the deltas, not from the completed item, which would hide a loss).
agent#320 (an error masked by a later one): a model response that fails after partial output ends the turn failed
with that error (as Codex reports it in thread/read), keeps the partial text, and a later turn's error does not
replace it."""

from __future__ import annotations

from typing import Any

import pytest

from codex_convex.host_api import HostApi
from codex_convex.replication.replicator import MIN_WRITE_INTERVAL_S
from codex_convex.runtime import CodexHost, HostConfig
from tests.support import persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def test_the_throttle_never_drops_the_tail_of_a_fast_stream(host_config: HostConfig,
                                                                  alice_api: HostApi) -> None:
    assert MIN_WRITE_INTERVAL_S > 0  # the throttle is on (the host uses the default)
    sent: list[dict[str, Any]] = []
    async with CodexHost(host_config) as host:
        assert host.api is not None
        ingest = host.api.ingest_events

        async def recording(**kw: Any) -> Any:
            sent.extend(e if isinstance(e, dict) else e.model_dump(by_alias=True) for e in kw["events"])
            return await ingest(**kw)

        host.api.ingest_events = recording  # type: ignore[method-assign]
        cid = await host.new_conversation()
        r = await host.send("DELTAS 400 0")
        thread = (await host.read_thread())["thread"]
    final = next(i for i in thread["turns"][-1]["items"] if i["type"] == "agentMessage")
    deltas = sorted((e for e in sent if e["type"] == "messageDelta" and e["itemId"] == final["id"]),
                    key=lambda e: e["firstDelta"])
    assert "".join(e["text"] for e in deltas) == final["text"] == "".join(f"tok{i} " for i in range(400))
    assert len(deltas) < 400  # the throttle did coalesce
    stored = next(m for m in await persisted_messages(alice_api, cid) if m.item_id == final["id"])
    assert stored.delta_count == sum(e["deltaCount"] for e in deltas) == 400
    assert r.status == "completed"


async def test_an_error_after_partial_output_is_kept(host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        first = await host.send("PARTIAL 5 first-failure")  # 5 deltas, then the model's response fails
        second = await host.send("HTTP 500")  # a later error, in the next turn
        thread = (await host.read_thread())["thread"]
    codex_first, codex_second = thread["turns"]
    assert first.status == "failed" and first.error is not None and "first-failure" in first.error.message
    stored = await alice_api.get_turn(thread_id=first.thread_id, turn_id=first.turn_id)
    assert stored.found and stored.turn.status == "failed" and stored.turn.error is not None
    # the turn's error is the first failure as Codex reports it, not the later one
    assert stored.turn.error.message == codex_first["error"]["message"]
    assert "first-failure" in stored.turn.error.message
    later = await alice_api.get_turn(thread_id=second.thread_id, turn_id=second.turn_id)
    assert later.found and later.turn.error is not None
    assert later.turn.error.message == codex_second["error"]["message"] != stored.turn.error.message
    # the output streamed before the failure is kept (Codex itself keeps no item for it)
    partial = [m for m in await persisted_messages(alice_api, cid) if m.role == "assistant"]
    assert [(m.status, m.text) for m in partial] == [("failed", "part0 part1 part2 part3 part4 ")]
