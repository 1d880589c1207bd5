"""Fairness under background load: a client's 512 KiB chunk upload and a small mutation, timed while N import jobs
run (N other processes importing synthetic threads: their job steps are the background work), beside the same
calls on the idle backend in the same run. Reports p50 / p99 / max and the loaded/idle ratio, and the backend's own
fairness counters (the longest background transaction, the most background transactions per event-loop turn).

    .venv/bin/python -m tools.bench.fairness [--importers 16] [--turns 300]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi

from ._common import summary_ms, write
from .importing import synthetic_thread


def chunk_payload(i: int) -> str:
    """A valid one-record chunk of ~512 KiB (an item part of a thread no one reads)."""
    data = json.dumps({"type": "agentMessage", "id": f"x{i}", "text": "y" * (250 * 1024)})[: 250 * 1024]
    rec = {"type": "item", "threadId": "fair-probe", "turnId": "t", "itemId": f"x{i}", "phase": "completed",
           "itemType": "agentMessage", "part": 0, "partCount": 2, "data": data, "at": 0}
    return json.dumps([rec, {**rec, "part": 1}])


async def client_calls(api: HostApi, source_id: str, start: int, until: Any) -> tuple[list[float], list[float]]:
    uploads: list[float] = []
    small: list[float] = []
    i = start
    while until():
        payload = chunk_payload(i)
        t0 = time.perf_counter()
        await api.append_conversation_sync_source_chunk(source_id=source_id, chunk_index=i, payload=payload,
                                                        sha256=hashlib.sha256(payload.encode()).hexdigest(),
                                                        record_count=2)
        t1 = time.perf_counter()
        await api.new_conversation(title=f"probe {i}")
        uploads.append(t1 - t0)
        small.append(time.perf_counter() - t1)
        i += 1
        await anyio.sleep(0.05)
    return uploads, small


def start_importers(url: str, token: str, tmp: Path, importers: int, turns: int) -> list[subprocess.Popen[bytes]]:
    """Each importer its own process (`codex-convex sync --from-json`): the bench's loop stays free to call."""
    env = {**os.environ, "CONVEX_URL": url, "CONVEX_TOKEN": token}
    procs = []
    for k in range(importers):
        dump = tmp / f"thread-{k}.json"
        dump.write_text(json.dumps({"thread": synthetic_thread(f"bench-{k}", turns)}))
        procs.append(subprocess.Popen([sys.executable, "-m", "codex_convex", "sync", "--from-json", str(dump),
                                       "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
    return procs


async def measure(importers: int, turns: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_s, LocalBackend(Path(tmp_s) / "backend") as backend:
        tmp = Path(tmp_s)
        token = mint_dev_token(backend.data_dir, "bench")
        assert backend.info is not None
        auth = {"Authorization": f"Convex {backend.info.admin_key}"}
        async with ConvexHttp(backend.url, token=token) as http:
            api = HostApi(http)
            src = await api.start_conversation_sync_source(thread_id="fair-probe", idempotency_key="probe")
            sid = src.source.source_id
            n = 0

            def idle_until() -> bool:
                nonlocal n
                n += 1
                return n <= 30

            idle_up, idle_small = await client_calls(api, sid, 0, idle_until)
            procs = start_importers(backend.url, token, tmp, importers, turns)
            async with httpx.AsyncClient() as admin:
                await admin.post(f"{backend.url}/api/metrics/reset", headers=auth)
                t0 = time.perf_counter()
                up, small = await client_calls(api, sid, 100, lambda: any(p.poll() is None for p in procs))
                seconds = time.perf_counter() - t0
                states = [json.loads(p.communicate()[0] or "[{}]")[0].get("state") for p in procs]
                fair = (await admin.get(f"{backend.url}/api/metrics", headers=auth)).json()["fairness"]
    s_idle, s_up = summary_ms(idle_up), summary_ms(up)
    return {
        "importers": importers, "turns_each": turns, "records_each": 1 + turns * 5 + 1, "seconds": round(seconds, 1),
        "importers_synced": states.count("synced"),
        "upload_idle": s_idle, "upload_loaded": s_up, "small_idle": summary_ms(idle_small),
        "small_loaded": summary_ms(small),
        "upload_p99_loaded_vs_idle": round(s_up["p99_ms"] / max(s_idle["p99_ms"], 0.001), 2),
        "fairness": fair,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--importers", type=int, default=16)
    ap.add_argument("--turns", type=int, default=300)
    a = ap.parse_args()
    r = anyio.run(measure, a.importers, a.turns)
    print(f"{r['importers']} importers × {r['records_each']} records ({r['importers_synced']} synced, "
          f"{r['seconds']} s): 512 KiB upload p50/p99/max {r['upload_loaded']['p50_ms']}/"
          f"{r['upload_loaded']['p99_ms']}/{r['upload_loaded']['max_ms']} ms (idle {r['upload_idle']['p50_ms']}/"
          f"{r['upload_idle']['p99_ms']}/{r['upload_idle']['max_ms']}); small mutation p99 "
          f"{r['small_loaded']['p99_ms']} ms (idle {r['small_idle']['p99_ms']}); longest background transaction "
          f"{r['fairness']['maxBackgroundMs']} ms, at most {r['fairness']['maxBackgroundPerTurn']} per loop turn")
    print(f"written to {write('fairness', r)}")


if __name__ == "__main__":
    main()
