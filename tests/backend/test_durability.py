"""The durable engine: kill -9 at random moments loses nothing acknowledged and shows no partial mutation;
scheduled functions survive a restart; data survives a clean restart."""

from __future__ import annotations

import json
import random
from pathlib import Path

import anyio
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.errors import ConvexTransportError
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import NotFound
from tests.support import page_opts

pytestmark = [pytest.mark.anyio, pytest.mark.faults]


def restart(data: Path, port: int) -> LocalBackend:
    b = LocalBackend(data, port=port)
    b.start()
    return b


async def test_kill_9_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """A writer sends mutations back to back while another task kills the backend (kill -9) at random moments,
    20 times, so kills land mid-request and mid-commit; after each restart the writer carries on."""
    rng = random.Random(20261125)
    backend = LocalBackend(tmp_path)
    info = backend.start()
    port = int(info.url.rsplit(":", 1)[1])
    token = mint_dev_token(tmp_path, "crash")
    acknowledged: list[str] = []
    attempted = 0
    done = anyio.Event()
    async with ConvexHttp(info.url, token=token, timeout_s=5) as http:
        api = HostApi(http)

        async def writer() -> None:
            nonlocal attempted
            while not done.is_set():
                thread = f"crash-{attempted}"
                attempted += 1
                try:
                    await api.sync_open_conversation_binding(thread_id=thread)  # several writes in one mutation
                    acknowledged.append(thread)
                except ConvexTransportError:
                    await anyio.sleep(0.02)  # the backend is down: unacknowledged, may or may not have landed

        async with anyio.create_task_group() as tg:
            tg.start_soon(writer)
            for _ in range(20):
                await anyio.sleep(rng.uniform(0.05, 0.4))
                backend.kill()
                backend = await anyio.to_thread.run_sync(restart, tmp_path, port)
            done.set()
        try:
            seen = {}
            cursor = None
            while True:
                page = await api.list_conversations(pagination_opts=page_opts(cursor))
                for c in page.page:
                    seen[c.thread_id] = c.conversation_id
                if page.is_done:
                    break
                cursor = page.continue_cursor
            missing = [t for t in acknowledged if t not in seen]
            assert missing == [], f"{len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
            # No partial mutation: every conversation that exists (acknowledged or not) has its binding.
            for thread, cid in seen.items():
                threads = await api.list_threads_for_conversation(conversation_id=cid)
                assert [t.thread_id for t in threads] == [thread]
        finally:
            backend.stop()
    assert len(acknowledged) > 20 and attempted > len(acknowledged)  # some requests were cut by a kill


async def test_scheduled_functions_and_data_survive_restart(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path)
    info = backend.start()
    port = int(info.url.rsplit(":", 1)[1])
    token = mint_dev_token(tmp_path, "sched")
    async with ConvexHttp(info.url, token=token) as http:
        await http.mutation("diagnostics:ping", {"nonce": "later", "delayMs": 1500})
        backend.kill()
        backend = restart(tmp_path, port)
        try:
            with anyio.fail_after(15):
                while True:
                    got = await http.query("diagnostics:getPing", {"nonce": "later"})
                    assert got is not None
                    if got["state"] == "done":
                        break
                    await anyio.sleep(0.2)
            backend.stop()
            backend = restart(tmp_path, port)
            again = await http.query("diagnostics:getPing", {"nonce": "later"})
            assert again is not None and again["state"] == "done"
        finally:
            backend.stop()


async def test_export_then_import_into_a_fresh_backend(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from codex_convex.cli import app

    runner = CliRunner()
    src, dst = tmp_path / "src", tmp_path / "dst"
    started = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(src), "--json"])
    assert started.exit_code == 0, started.output
    try:
        url = json.loads(started.stdout)["url"]
        token = mint_dev_token(src, "mover")
        async with ConvexHttp(url, token=token) as http:
            api = HostApi(http)
            cid = (await api.sync_open_conversation_binding(thread_id="th-move")).conversation.conversation_id
        out = runner.invoke(app, ["backend", "export", "--out", str(tmp_path / "x.zip"), "--data", str(src),
                                  "--json"])
        assert out.exit_code == 0, out.output
        assert json.loads(out.stdout)["tables"]["_components/codexConvex/conversations"] == 1
    finally:
        runner.invoke(app, ["backend", "stop", "--data", str(src)])
    started = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(dst), "--json"])
    try:
        url2 = json.loads(started.stdout)["url"]
        imp = runner.invoke(app, ["backend", "import", str(tmp_path / "x.zip"), "--data", str(dst), "--json"])
        assert imp.exit_code == 0, imp.output
        again = runner.invoke(app, ["backend", "import", str(tmp_path / "x.zip"), "--data", str(dst)])
        assert again.exit_code == 1  # not empty any more: refused, nothing changed
        token2 = mint_dev_token(dst, "mover")
        async with ConvexHttp(url2, token=token2) as http:
            got = await HostApi(http).get_conversation(conversation_id=cid)
        assert not isinstance(got, NotFound) and got.conversation.thread_id == "th-move"
    finally:
        runner.invoke(app, ["backend", "stop", "--data", str(dst)])


async def test_subscriptions_rerun_only_when_a_range_they_read_is_written(tmp_path: Path) -> None:
    import httpx

    from codex_convex.convex_api import Subscriber

    with LocalBackend(tmp_path) as backend:
        token = mint_dev_token(tmp_path, "reads")
        runs = lambda: httpx.get(f"{backend.url}/health").json()["queryRuns"]  # noqa: E731
        watcher = Subscriber(backend.url, token=token)
        seen: list[object] = []
        async with ConvexHttp(backend.url, token=token) as http:
            api = HostApi(http)
            with anyio.fail_after(20):
                async for value in watcher.watch("diagnostics:getPing", {"nonce": "watched"}):
                    seen.append(value)
                    if len(seen) == 1:
                        await anyio.sleep(0.3)
                        before = runs()
                        for i in range(10):  # writes to other tables: the ping query must not re-run
                            await api.sync_open_conversation_binding(thread_id=f"other-{i}")
                        for i in range(5):  # the same table, other index ranges (other nonces): no re-run either
                            await http.mutation("diagnostics:ping", {"nonce": f"other-{i}", "delayMs": 0})
                        await anyio.sleep(0.5)
                        assert runs() == before
                        await http.mutation("diagnostics:ping", {"nonce": "watched", "delayMs": 0})
                    elif value is not None and value["state"] == "done":  # type: ignore[index]
                        break
        assert runs() > before


@pytest.mark.parametrize(("doc", "message"), [
    ({"text": "x" * (1024 * 1024 + 10)}, "Value is too large"),
    ({"list": list(range(8193))}, "Array length is too long"),
    ({"deep": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {
        "a": 1}}}}}}}}}}}}}}}}}}, "too nested"),
    ({"nested": {"$bad": 1}}, "reserved"),
])
def test_document_limits_refuse_and_change_nothing(tmp_path: Path, doc: dict[str, object], message: str) -> None:
    import zipfile

    import httpx

    from codex_convex.backend.transfer import export_zip

    with LocalBackend(tmp_path / "b") as backend:
        assert backend.info is not None
        key = backend.info.admin_key
        row = {"_id": "10001lifecycle_events", "_creationTime": 1.0, "actor": "a",
               "conversationId": "10009conversations", "kind": "k", "message": "m", "at": 0.0, **doc}
        good = {**row, "_id": "10002lifecycle_events"}
        for k in doc:
            good.pop(k)
        body = "\n".join(json.dumps(["codexConvex", "lifecycle_events", r]) for r in (good, row)) + "\n"
        r = httpx.post(f"{backend.url}/api/import", content=body, headers={"Authorization": f"Convex {key}"})
        assert r.status_code == 409 and message in r.json()["message"]
        export_zip(backend.url, key, tmp_path / "after.zip")
        with zipfile.ZipFile(tmp_path / "after.zip") as z:
            assert z.namelist() == []  # the valid row before the bad one was not written either


def test_data_of_the_first_durable_format_moves_into_sqlite(tmp_path: Path) -> None:
    """0.1.0 kept the durable engine's data as snapshot.jsonl + wal.jsonl: a newer backend takes it over once."""
    import httpx

    db = tmp_path / "db"
    db.mkdir()
    row = {"_id": "10005lifecycle_events", "_creationTime": 5.0, "actor": "a", "conversationId": "10009conversations",
           "kind": "k",
           "message": "kept", "at": 1.0}
    gone = {**row, "_id": "10006lifecycle_events", "message": "deleted later"}
    (db / "snapshot.jsonl").write_text(json.dumps({"w": [["codexConvex", row["_id"], row],
                                                         ["codexConvex", gone["_id"], gone]]}) + "\n")
    (db / "wal.jsonl").write_text(json.dumps({"w": [["codexConvex", gone["_id"], None]]}) + "\n" + '{"w": [["tor')
    for _ in range(2):  # the second start finds the moved files and nothing to do
        with LocalBackend(tmp_path) as backend:
            assert backend.info is not None
            lines = httpx.get(f"{backend.url}/api/export",
                              headers={"Authorization": f"Convex {backend.info.admin_key}"}).text.splitlines()
            assert [json.loads(x)[2]["message"] for x in lines] == ["kept"]
        assert not (db / "wal.jsonl").exists() and (db / "wal.jsonl.migrated").exists()
