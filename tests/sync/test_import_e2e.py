"""Importing local threads end to end: real Codex threads, the deployment, kill -9 and rerun."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from codex_convex.host_api import HostApi
from codex_convex.host_api.reads import turn_items
from codex_convex.runtime import CodexHost, HostConfig, HostMode, ServerRequestInfo
from codex_convex.sync import chunk_records, thread_records
from tests.conftest import Deployment
from tests.support import codex_messages, conversation_messages, persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def persisted_thread_hash(api: HostApi, thread: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for turn in thread["turns"]:
        got, items = await turn_items(api, thread["id"], turn["id"])
        assert got is not None, turn["id"]
        assert got.status == turn["status"]
        for it in items:
            h.update(json.dumps(it.item, sort_keys=True).encode())
    return h.hexdigest()


def codex_thread_hash(thread: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for turn in thread["turns"]:
        for it in turn["items"]:
            h.update(json.dumps(it, sort_keys=True).encode())
    return h.hexdigest()


async def make_local_thread(host_config: HostConfig) -> dict[str, Any]:
    async def accept(info: ServerRequestInfo) -> str:
        return "accept"

    cfg = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY,
                     on_server_request=accept)
    async with CodexHost(cfg) as host:
        await host.new_conversation()
        for prompt in ["hello import", "RUN echo hi > f.txt", "PATCH notes.md hi", "HTTP 500", "the end"]:
            await host.send(prompt)
        thread: dict[str, Any] = (await host.read_thread())["thread"]
        return thread


async def test_import_equals_codex_item_by_item(host_config: HostConfig, alice_api: HostApi) -> None:
    thread = await make_local_thread(host_config)
    seen: list[str] = []
    async with CodexHost(host_config) as host:
        result = await host.import_local_thread(thread["id"], on_progress=lambda info: seen.append(type(info).__name__))
    assert result.state == "synced", result.error
    assert "UploadProgress" in seen and "SyncJob" in seen
    stored = await persisted_messages(alice_api, result.conversation_id)
    assert conversation_messages(stored) == codex_messages(thread)
    assert await persisted_thread_hash(alice_api, thread) == codex_thread_hash(thread)
    summary = await alice_api.get_conversation_summary(conversation_id=result.conversation_id)
    assert summary.found and summary.conversation.sync_state == "synced"
    assert summary.conversation.preview == thread["preview"] == "hello import"  # the first message: its label
    assert summary.turn_count == len(thread["turns"])


async def test_codex_only_import_is_refused(host_config: HostConfig) -> None:
    from codex_convex.errors import PersistenceDisabledError

    cfg = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY)
    async with CodexHost(cfg) as host:
        with pytest.raises(PersistenceDisabledError):
            await host.import_local_thread("any")


def synthetic_thread(turns: int, output_bytes: int) -> dict[str, Any]:
    out = []
    for i in range(turns):
        out.append({"id": f"turn-{i:04d}", "status": "completed", "startedAt": 1_700_000_000 + i,
                    "completedAt": 1_700_000_001 + i, "items": [
                        {"type": "userMessage", "id": f"u{i}", "content": [{"type": "text", "text": f"q{i}"}]},
                        {"type": "commandExecution", "id": f"call_{i}", "command": f"cmd {i}", "status": "completed",
                         "aggregatedOutput": (f"line {i} " * (output_bytes // 8))[:output_bytes]},
                        {"type": "agentMessage", "id": f"msg_{i}", "text": f"answer {i}"}]})
    return {"id": "synthetic-thread-1", "preview": "synthetic", "turns": out}


@pytest.mark.faults
def test_import_killed_at_several_points_then_rerun_has_every_record_once(
        tmp_path: Path, deployment: Deployment, long_run: bool) -> None:
    thread = synthetic_thread(turns=60, output_bytes=60_000)  # ~3.6 MB: 8 chunks
    dump = tmp_path / "thread.json"
    dump.write_text(json.dumps({"thread": thread}))
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice}
    cmd = [sys.executable, "-m", "codex_convex", "sync", "--from-json", str(dump), "--throttle-ms", "150", "--json"]
    rng = random.Random(1125)  # seeded: a failing run can be replayed
    kills = [rng.uniform(0.8, 2.5) for _ in range(20 if long_run else 3)]  # --long: 20 kills
    for kill_after in kills:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)[0]
    assert result["state"] == "synced", result
    # the rerun did not send everything again: it resumed the source, sent only the turns after those the killed
    # runs' jobs had already applied, or found the thread up to date
    whole = len(list(chunk_records(thread_records(thread))))
    assert result["uploaded_chunks"] < whole, result

    async def check() -> None:
        from codex_convex.convex_api import ConvexHttp

        async with ConvexHttp(deployment.url, token=deployment.alice) as http:
            api = HostApi(http)
            assert await persisted_thread_hash(api, thread) == codex_thread_hash(thread)
            msgs = await persisted_messages(api, result["conversation_id"])
            assert len(msgs) == 60 * 3
            assert len({(m.turn_id, m.item_id) for m in msgs}) == len(msgs)

    anyio.run(check)


@pytest.mark.faults
def test_backend_killed_mid_import_then_rerun(tmp_path: Path) -> None:
    from codex_convex.backend import LocalBackend, mint_dev_token

    thread = synthetic_thread(turns=40, output_bytes=60_000)
    thread["id"] = "synthetic-thread-backend-kill"
    dump = tmp_path / "thread.json"
    dump.write_text(json.dumps({"thread": thread}))
    data = tmp_path / "backend"
    backend = LocalBackend(data)
    info = backend.start()
    port = int(info.url.rsplit(":", 1)[1])
    token = mint_dev_token(data, "bk")
    env = {**os.environ, "CONVEX_URL": info.url, "CONVEX_TOKEN": token}
    cmd = [sys.executable, "-m", "codex_convex", "sync", "--from-json", str(dump), "--throttle-ms", "150", "--json"]
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        import time

        # mid-upload: once the source holds a chunk or two (not a fixed sleep: a loaded machine starts late)
        base = httpx.get(f"{info.url}/health").json()["documentsWritten"]
        deadline = time.monotonic() + 60
        while httpx.get(f"{info.url}/health").json()["documentsWritten"] < base + 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        backend.kill()
        proc.wait(timeout=60)  # the host fails clearly (unreachable), it does not hang
        backend = LocalBackend(data, port=port)
        backend.start()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        result = json.loads(done.stdout)[0]
        assert result["state"] == "synced" and result["resumed"] is True

        async def check() -> None:
            from codex_convex.convex_api import ConvexHttp

            async with ConvexHttp(info.url, token=token) as http:
                assert await persisted_thread_hash(HostApi(http), thread) == codex_thread_hash(thread)

        anyio.run(check)
    finally:
        backend.stop()
