"""Import throughput: records/s from seal to synced, beside two baselines from the same run: the live-ingest ceiling
(the same events written straight through ``ingestEvents`` in maximal batches) and the physical ceiling (the final
documents the import left, inserted by plain inserts in maximal batches into a fresh engine with the same tables and
indexes: tools/bench/ceiling.ts). Also rows written per record.

    .venv/bin/python -m tools.bench.importing [--turns 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

from codex_convex import paths
from codex_convex.backend import LocalBackend, find_node, mint_dev_token
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.errors import ConvexApiError
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import SyncJob
from codex_convex.runtime import watch_deletion
from codex_convex.sync import import_thread, thread_records
from codex_convex.sync.importer import UploadProgress

from ._common import write


def synthetic_thread(thread_id: str, turns: int) -> dict[str, Any]:
    return {"id": thread_id, "preview": "bench", "turns": [
        {"id": f"turn-{i:06d}", "status": "completed", "startedAt": 1_700_000_000 + i, "completedAt": 1_700_000_001 + i,
         "items": [{"type": "userMessage", "id": f"u{i}", "content": [{"type": "text", "text": f"question {i}"}]},
                   {"type": "commandExecution", "id": f"c{i}", "command": "ls", "status": "completed",
                    "aggregatedOutput": "file.txt\n" * 40},
                   {"type": "agentMessage", "id": f"m{i}", "text": f"answer {i} " * 20}]}
        for i in range(turns)]}


async def documents_written(*, http_url: str) -> int:
    async with httpx.AsyncClient() as client:
        return int((await client.get(f"{http_url}/health")).json()["documentsWritten"])


async def replacing(api: HostApi, thread_id: str) -> bool:
    """Whether a replace of the thread is still under way (or cleaning up): an answer to a request that does not
    exist is refused with E_SYNC_REPLACING then, E_REQUEST_NOT_FOUND otherwise (nothing is written either way)."""
    try:
        await api.respond_server_request(thread_id=thread_id, turn_id="none", request_id="none", decision="decline")
    except ConvexApiError as exc:
        return exc.code == "E_SYNC_REPLACING"
    raise AssertionError("an answer to a request that does not exist was accepted")


def final_documents(backend: LocalBackend, thread_id: str, out: Path, job_id: str) -> tuple[int, dict[str, Any]]:
    """The documents an import of ``thread_id`` left (its thread's rows and its conversation; not the sync source's
    bookkeeping), from the admin export, as ``[table, doc]`` lines in ``out``; and what job ``job_id`` spent (its
    steps' documents read, index ranges and documents written, summed by the job)."""
    assert backend.info is not None
    r = httpx.get(f"{backend.url}/api/export", headers={"Authorization": f"Convex {backend.info.admin_key}"},
                  timeout=600)
    r.raise_for_status()
    n = 0
    spent: dict[str, Any] = {}
    with out.open("w") as f:
        for line in r.text.splitlines():
            comp, table, doc = json.loads(line)
            if table == "sync_jobs" and doc.get("_id") == job_id:
                spent = doc.get("spent") or {}
            if comp == "" or table.startswith(("_", "sync_")) or doc.get("threadId") != thread_id:
                continue
            f.write(json.dumps([table, doc]) + "\n")
            n += 1
    return n, spent


def cpu_seconds(backend: LocalBackend) -> float:
    """CPU time (user + system) the backend's process has used so far."""
    assert backend.process is not None
    fields = Path(f"/proc/{backend.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def physical_ceiling(docs: Path) -> dict[str, Any]:
    assert paths.REPO_ROOT is not None
    lb = paths.REPO_ROOT / "tools" / "local-backend"
    subprocess.run([find_node().path, str(lb / "build.mjs"), "--bench", "ceiling"], check=True, timeout=120)
    out = subprocess.run([find_node().path, "--max-old-space-size=8192", str(lb / "dist" / "bench-ceiling.mjs"),
                          str(docs)], capture_output=True, text=True, timeout=3600, check=True)
    return dict(json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{"))))


async def measure(turns: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_s, LocalBackend(Path(tmp_s) / "backend") as backend:
        token = mint_dev_token(backend.data_dir, "bench")
        async with ConvexHttp(backend.url, token=token) as http:
            api = HostApi(http)
            # Baseline: the same rows, straight through live ingest, in the largest batches it takes.
            base = synthetic_thread("baseline-thread", turns)
            events = list(thread_records(base))
            cid = (await api.sync_open_conversation_binding(thread_id=base["id"])).conversation.conversation_id
            t0 = time.perf_counter()
            for seq in range(0, len(events), 256):
                await api.ingest_events(conversation_id=cid, stream_id="bench", seq=seq, events=events[seq:seq + 256])
            ceiling_s = time.perf_counter() - t0
            # The import: chunk, upload, seal, job to synced (followed by subscription).
            thread = synthetic_thread("import-thread", turns)

            async def read(method: str, params: dict[str, Any]) -> Any:
                return {"thread": thread}

            sealed_at: list[float] = []
            sealed_cpu: list[float] = []

            def on_progress(info: UploadProgress | SyncJob) -> None:
                # every chunk is up: the seal call follows (the job's first status can arrive after its first step)
                done = info.done == info.total if isinstance(info, UploadProgress) else True
                if done and not sealed_at:
                    sealed_at.append(time.perf_counter())
                    sealed_cpu.append(cpu_seconds(backend))

            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            written_before = await documents_written(http_url=backend.url)
            t1 = time.perf_counter()
            result = await import_thread(read, api, Subscriber(backend.url, token=token, http=http), thread["id"],
                                         on_progress=on_progress)
            total_s = time.perf_counter() - t1
            seal_to_synced = time.perf_counter() - sealed_at[0] if sealed_at else total_s
            seal_to_synced_cpu = cpu_seconds(backend) - sealed_cpu[0]
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            import_writes = await documents_written(http_url=backend.url) - written_before
            docs_file = Path(tmp_s) / "final-documents.ndjson"
            final_docs, spent = final_documents(backend, thread["id"], docs_file, result.job_id)
            # Re-sync after one new turn (incremental: only that turn is sent), and again with nothing new.
            thread["turns"].append(synthetic_thread("import-thread", turns + 1)["turns"][-1])
            sealed_at.clear()
            t3 = time.perf_counter()
            resync = await import_thread(read, api, Subscriber(backend.url, token=token, http=http), thread["id"],
                                         on_progress=on_progress)
            resync_s = time.perf_counter() - t3
            resync_server_s = time.perf_counter() - sealed_at[0] if sealed_at else resync_s
            t4 = time.perf_counter()
            unchanged = await import_thread(read, api, Subscriber(backend.url, token=token, http=http), thread["id"])
            unchanged_s = time.perf_counter() - t4
            # Then delete the imported thread: a durable job in batches of 500 rows, followed by subscription.
            t2 = time.perf_counter()
            job = await api.delete_thread(thread_id=thread["id"])
            final = job
            async for status in watch_deletion(Subscriber(backend.url, token=token, http=http), job.job_id):
                final = status
            delete_s = time.perf_counter() - t2
            # Replaces (replace.ts: atomic for readers), on a thread of their own (the one above is deleted): the last
            # turn rewritten; then half the turns rolled back and one new turn (the old half retired over many steps,
            # swapped at once, cleaned up after).
            thread = synthetic_thread("replace-thread", min(turns, 4000))
            await import_thread(read, api, Subscriber(backend.url, token=token, http=http), thread["id"])
            replaces = []
            for label in ("last turn rewritten", "half rolled back"):
                if label == "last turn rewritten":
                    thread["turns"][-1]["items"][-1]["text"] = "rewritten"
                else:
                    del thread["turns"][len(thread["turns"]) // 2:]
                    fresh = synthetic_thread("replace-thread", len(thread["turns"]) + 1)["turns"][-1]
                    fresh["items"][-1]["text"] = "after the rollback"
                    thread["turns"].append(fresh)
                sealed_at.clear()
                t5 = time.perf_counter()
                rr = await import_thread(read, api, Subscriber(backend.url, token=token, http=http), thread["id"],
                                         on_progress=on_progress)
                swap_s = time.perf_counter() - (sealed_at[0] if sealed_at else t5)
                # the clean-up after the swap (invisible to readers): until the thread's mark is cleared
                while await replacing(api, thread["id"]):  # noqa: ASYNC110 (polls the server: no event to wait on)
                    await anyio.sleep(0.05)
                replaces.append({"what": label, "kind": rr.kind, "from_turn": rr.from_turn, "records": rr.records,
                                 "seconds_total": round(time.perf_counter() - t5, 3),
                                 "seal_to_swap_seconds": round(swap_s, 3)})
            ceiling = physical_ceiling(docs_file)  # in-process, while the backend idles
    return {
        "turns": turns, "records": result.records, "chunks": result.chunks, "bytes": result.bytes,
        "state": result.state,
        "import_seconds_total": round(total_s, 2), "seal_to_synced_seconds": round(seal_to_synced, 2),
        "import_records_per_s": round(result.records / total_s, 1),
        "ceiling_records_per_s": round(len(events) / ceiling_s, 1),
        "import_vs_ceiling": round((result.records / total_s) / (len(events) / ceiling_s), 3),
        # the physical ceiling: the same final documents through plain inserts in maximal batches
        "final_documents": final_docs, "rows_per_record": round(final_docs / result.records, 3),
        # what the job's steps read (chunks included) and wrote, per record
        "job_documents_read_per_record": round(spent.get("documentsRead", 0) / result.records, 3),
        "job_index_ranges_per_record": round(spent.get("indexRanges", 0) / result.records, 3),
        "job_documents_written_per_record": round(spent.get("documentsWritten", 0) / result.records, 3),
        "physical_ceiling_seconds": ceiling["seconds"], "physical_ceiling_transactions": ceiling["transactions"],
        "physical_ceiling_records_per_s": round(result.records / ceiling["seconds"], 1),
        "import_vs_physical_ceiling": round(ceiling["seconds"] / seal_to_synced, 3),
        # the same in CPU seconds (the backend process from seal to synced; the ceiling's process while inserting):
        # a shared machine's other load sways wall time far more than the work each side does
        "seal_to_synced_cpu_seconds": round(seal_to_synced_cpu, 2),
        "physical_ceiling_cpu_seconds": ceiling["cpu_seconds"],
        "import_vs_physical_ceiling_cpu": round(ceiling["cpu_seconds"] / seal_to_synced_cpu, 3),
        "import_total_vs_physical_ceiling": round(ceiling["seconds"] / total_s, 3),
        "max_step_bytes_read": result.max_step_bytes_read,
        "host_peak_rss_mib_before_import": round(rss_before / 1024, 1),
        "host_peak_rss_growth_mib": round((rss_after - rss_before) / 1024, 1),
        "thread_json_mib": round(len(json.dumps(thread)) / 2**20, 1),
        "resync_kind": resync.kind, "resync_records": resync.records, "resync_seconds_total": round(resync_s, 3),
        "resync_seal_to_synced_seconds": round(resync_server_s, 3),
        "resync_vs_import": round(resync_s / total_s, 4),
        "unchanged_kind": unchanged.kind, "unchanged_seconds": round(unchanged_s, 3),
        "replaces": replaces,
        # document writes the import made (sources, chunks, job rows included), against the rows it leaves (what
        # deleting the thread removes): 1.0 would be every row written once and nothing else
        "documents_written_by_import": import_writes,
        "writes_per_final_row": round(import_writes / max(1, int(final.deleted)), 3),
        "delete_phase": final.phase, "delete_rows": int(final.deleted), "delete_seconds": round(delete_s, 2),
        "delete_rows_per_step": 500,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=1000)
    r = anyio.run(measure, ap.parse_args().turns)
    print(f"records {r['records']} in {r['chunks']} chunks ({r['bytes']} bytes): import {r['import_records_per_s']}"
          f" rec/s, ceiling {r['ceiling_records_per_s']} rec/s, ratio {r['import_vs_ceiling']}; largest step read "
          f"{r['max_step_bytes_read']} bytes; host peak RSS +{r['host_peak_rss_growth_mib']} MiB for a "
          f"{r['thread_json_mib']} MiB thread; state {r['state']}; then deleted {r['delete_rows']} rows in "
          f"{r['delete_seconds']} s ({r['delete_phase']}, ≤ 500 rows per step)")
    print(f"physical ceiling: the {r['final_documents']} final documents ({r['rows_per_record']} per record) inserted "
          f"in {r['physical_ceiling_transactions']} transactions in {r['physical_ceiling_seconds']} s = "
          f"{r['physical_ceiling_records_per_s']} records/s; the import (seal to synced) runs at "
          f"{r['import_vs_physical_ceiling']} of it ({r['import_total_vs_physical_ceiling']} counting the upload); "
          f"in CPU seconds {r['physical_ceiling_cpu_seconds']} against {r['seal_to_synced_cpu_seconds']}: "
          f"{r['import_vs_physical_ceiling_cpu']}")
    print(f"the import wrote {r['documents_written_by_import']} documents for the {r['delete_rows']} rows it left: "
          f"{r['writes_per_final_row']} writes per final row; its job read {r['job_documents_read_per_record']} "
          f"documents and {r['job_index_ranges_per_record']} index ranges per record (chunks included)")
    print(f"re-sync after one new turn: {r['resync_kind']}, {r['resync_records']} records sent, "
          f"{r['resync_seconds_total']} s in all ({r['resync_seal_to_synced_seconds']} s seal to synced) = "
          f"{r['resync_vs_import']} of the full import; unchanged: {r['unchanged_kind']} in {r['unchanged_seconds']} s")
    for x in r["replaces"]:
        print(f"replace ({x['what']}): {x['kind']} from turn {x['from_turn']}, {x['records']} records sent; seal to "
              f"swap {x['seal_to_swap_seconds']} s, {x['seconds_total']} s in all with the clean-up")
    print(f"written to {write('import', r)}")


if __name__ == "__main__":
    main()
