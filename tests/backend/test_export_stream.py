"""``GET /api/export`` streams at the client's pace from a snapshot: a client that reads slowly does not make the
backend hold the whole export in memory (it used to buffer every row before the first byte left, and a large
database ran it out of memory), the backend keeps serving meanwhile, and writes made during the export are not in it."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import httpx
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from codex_convex.sync import thread_records

pytestmark = [pytest.mark.anyio, pytest.mark.backend]

MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_a_slow_reader_gets_a_streamed_snapshot_and_the_backend_keeps_serving(tmp_path: Path) -> None:
    data = tmp_path / "backend"
    with LocalBackend(data) as backend:
        assert backend.info is not None
        async with ConvexHttp(backend.url, token=mint_dev_token(data, "alice")) as http:
            api = HostApi(http)
            # ~64 MiB of messages: far more than a socket holds
            thread = {"id": "export-thread", "preview": "big", "turns": [
                {"id": f"t{i}", "status": "completed", "startedAt": 1_700_000_000 + i,
                 "completedAt": 1_700_000_001 + i,
                 "items": [{"type": "agentMessage", "id": f"m{i}", "text": f"{i:04d}" + "x" * (512 * 1024)}]}
                for i in range(128)]}
            events = list(thread_records(thread))
            cid = (await api.sync_open_conversation_binding(thread_id=thread["id"])).conversation.conversation_id
            for seq in range(0, len(events), 8):
                await api.ingest_events(conversation_id=cid, stream_id="export", seq=seq, events=events[seq:seq + 8])
            before = rss_bytes(backend.info.pid)
            headers = {"Authorization": f"Convex {backend.info.admin_key}"}
            received = 0
            async with httpx.AsyncClient(timeout=60) as client, \
                    client.stream("GET", f"{backend.url}/api/export", headers=headers) as resp:
                assert resp.status_code == 200
                lines = resp.aiter_lines()
                first = await lines.__anext__()
                received += len(first)
                # the client stalls: the backend must neither buffer the rest nor stop serving
                await anyio.sleep(1.5)
                grown = rss_bytes(backend.info.pid) - before
                t0 = time.perf_counter()
                late = (await api.new_conversation(title="written during the export")).conversation_id
                answered_s = time.perf_counter() - t0
                rows = [first]
                async for line in lines:
                    rows.append(line)
                    received += len(line)
    assert received > 60 * MIB
    assert grown < 24 * MIB, f"the backend grew {grown / MIB:.0f} MiB while the client waited"
    assert answered_s < 5
    assert late not in "\n".join(rows)  # a snapshot: the write made during the export is not in it
    assert sum(1 for r in rows if '"messages"' in r) >= 128
