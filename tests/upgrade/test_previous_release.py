"""Data written by earlier releases, loaded into this one (DESIGN §13: a deployed component holds users' data).

Each folder of fixtures/ holds an export an earlier release wrote running the demo (real Codex turns, approvals, a
file change, an imported thread, a cancelled deletion) and that release's answers to every read over it
(tools/upgrade_fixture.py made them with the release's own code). This release must take every document (the
import checks each against the current schema, as Convex does), answer every read as that release did (fields
added since are allowed), and go on writing on top of it: live ingest into an old conversation, a deletion over old
rows, and a new demo run beside them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.backend.transfer import import_zip
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.demo import run_demo
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import NotFound, PaginationOpts
from codex_convex.runtime import watch_deletion
from tools.upgrade_fixture import SUBJECT, snapshot

FIXTURES = sorted(p for p in (Path(__file__).parent / "fixtures").iterdir() if p.is_dir())
PAGE = PaginationOpts(num_items=100, cursor=None)


def contained(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected``: every expected key and list item must be there and equal; keys
    ``actual`` has besides (fields added by a later release) are allowed."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r:.200}"]
        out: list[str] = []
        for k, v in expected.items():
            out += [f"{path}.{k}: missing"] if k not in actual else contained(v, actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r:.300}"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [d for i, (e, a) in pairs for d in contained(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: expected {expected!r:.200}, got {actual!r:.200}"]


@pytest.fixture(params=FIXTURES, ids=[p.name for p in FIXTURES])
def release(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, LocalBackend, str]]:
    with LocalBackend(tmp_path / "backend") as backend:
        yield request.param, backend, mint_dev_token(backend.data_dir, SUBJECT)


def test_there_is_a_fixture_of_an_earlier_release() -> None:
    assert FIXTURES, "tests/upgrade/fixtures holds no release's export (tools/upgrade_fixture.py makes one)"


@pytest.mark.anyio
async def test_an_earlier_release_s_data_loads_reads_the_same_and_takes_new_writes(
        release: tuple[Path, LocalBackend, str], monkeypatch: pytest.MonkeyPatch) -> None:
    fixture, backend, token = release
    assert backend.info is not None
    made = json.loads((fixture / "release.json").read_text())
    assert import_zip(backend.url, backend.info.admin_key, fixture / "export.zip") == sum(made["documents"].values())

    expected = json.loads((fixture / "reads.json").read_text())
    now = snapshot(backend.url, token)
    assert contained(expected, now) == []

    live, imported = made["liveConversation"], made["importedConversation"]
    async with ConvexHttp(backend.url, token=token) as http:
        api = HostApi(http)
        # live ingest into the old conversation: a new turn after the old ones
        [thread] = await api.list_threads_for_conversation(conversation_id=live)
        old_turns = (await api.list_turns(thread_id=thread.thread_id, pagination_opts=PAGE)).page
        at = time.time() * 1000
        item = {"type": "agentMessage", "id": "msg_upgrade", "text": "written by this release"}
        r = await api.ingest_events(conversation_id=live, stream_id="upgrade", seq=0, events=[
            {"type": "turnStarted", "threadId": thread.thread_id, "turnId": "turn-upgrade", "at": at},
            {"type": "item", "threadId": thread.thread_id, "turnId": "turn-upgrade", "itemId": "msg_upgrade",
             "phase": "completed", "itemType": "agentMessage", "part": 0, "partCount": 1, "data": json.dumps(item),
             "at": at},
            {"type": "turnCompleted", "threadId": thread.thread_id, "turnId": "turn-upgrade", "status": "completed",
             "at": at},
        ])
        assert r.status == "accepted" and r.applied == 3
        turns = (await api.list_turns(thread_id=thread.thread_id, pagination_opts=PAGE)).page
        assert [t.turn_id for t in turns] == [t.turn_id for t in old_turns] + ["turn-upgrade"]
        view = await api.get_conversation_view(conversation_id=live, num_messages=200)
        assert not isinstance(view, NotFound)
        texts = [m.text for m in view.messages]
        assert texts[0] == "written by this release"  # newest first
        assert len(texts) == len(expected["conversations"][live]["getConversationView"]["messages"]) + 1

        # a deletion over the old rows of the imported thread runs to the end
        [gone] = await api.list_threads_for_conversation(conversation_id=imported)
        job = await api.delete_thread(thread_id=gone.thread_id)
        phases = []
        async with Subscriber(backend.url, token=token, http=http) as watcher:
            with anyio.fail_after(60):
                async for status in watch_deletion(watcher, job.job_id):
                    phases.append(status.phase)
        assert phases[-1] == "completed", phases
        assert isinstance(await api.get_thread_json(thread_id=gone.thread_id), NotFound)
        assert (await api.list_turns(thread_id=gone.thread_id, pagination_opts=PAGE)).page == []

        # this release's demo (real Codex, approvals, an import) beside the old data, which it leaves as it was
        monkeypatch.setenv("CONVEX_URL", backend.url)
        monkeypatch.setenv("CONVEX_TOKEN", token)
        report = await run_demo()
        assert report.import_result["state"] == "synced"
        assert {report.live_conversation, report.imported_conversation}.isdisjoint({live, imported})
        assert await api.get_conversation_view(conversation_id=live, num_messages=200) == view
        listed = {c.conversation_id for c in (await api.list_conversations(pagination_opts=PAGE)).page}
        assert {live, report.live_conversation, report.imported_conversation} <= listed
        assert imported not in listed  # deleted with its thread
