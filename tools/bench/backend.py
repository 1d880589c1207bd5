"""The local backend's throughput and reactivity over Convex's protocols, beside convex-test called in-process
(the engine alone, no network) measured in the same run.

    .venv/bin/python -m tools.bench.backend [--n 300]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import convex

from codex_convex import paths
from codex_convex.backend import LocalBackend, find_node, mint_dev_token
from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi
from codex_convex.replication.replicator import DELTAS_PER_WRITE

from ._common import summary_ms, write
from .timeline import delta_timeline


def in_process(bench: str, n: int, *more: str) -> dict[str, Any]:
    """Bundle and run the in-process benchmark tools/bench/<bench>.ts (no network, one process) with arguments `n`
    and `more`: its JSON line."""
    assert paths.REPO_ROOT is not None
    lb = paths.REPO_ROOT / "tools" / "local-backend"
    subprocess.run([find_node().path, str(lb / "build.mjs"), "--bench", bench], check=True, timeout=120)
    out = subprocess.run([find_node().path, str(lb / "dist" / f"bench-{bench}.mjs"), str(n), *more],
                         capture_output=True,
                         text=True, timeout=600, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def inprocess(n: int) -> float:
    return float(in_process("inprocess", n)["mutations_per_s"])


_ECHO = ("const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => "
         "r.end(JSON.stringify({ status: 'success', value: null }))); });"
         "s.listen(0, '127.0.0.1', () => console.log(s.address().port));")


def loopback_floor(n: int = 200, pace_s: float = 0.085) -> dict[str, Any]:
    """What this machine charges for one hop of the live path, with no backend work: an HTTP POST (ConvexHttp's
    transport) to a Node server that answers at once, back to back and one every `pace_s` (the writes' pace at 200
    deltas/s). A path that idles between writes pays the paced figure at each of its hops (host → backend, backend →
    the watcher's client, its socket thread → its event loop)."""
    proc = subprocess.Popen([find_node().path, "-e", _ECHO], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        return anyio.run(_hops, f"http://127.0.0.1:{int(proc.stdout.readline())}", n, pace_s)
    finally:
        proc.kill()
        proc.wait()


async def _hops(url: str, n: int, pace_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with ConvexHttp(url) as http:
        for name, pace in (("back_to_back", 0.0), ("paced", pace_s)):
            lat: list[float] = []
            for i in range(n + 10):
                if pace:
                    await anyio.sleep(pace)
                t0 = time.perf_counter()
                await http.mutation("echo:e", {"i": i})
                if i >= 10:
                    lat.append(time.perf_counter() - t0)
            out[name] = summary_ms(lat)
    return out


async def measure(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, LocalBackend(Path(tmp) / "b") as backend:
        token = mint_dev_token(backend.data_dir, "bench")
        async with ConvexHttp(backend.url, token=token) as http:
            for i in range(20):
                await http.mutation("diagnostics:ping", {"nonce": f"warm-{i}", "delayMs": 60000})
            t0 = time.perf_counter()
            for i in range(n):
                await http.mutation("diagnostics:ping", {"nonce": f"h-{i}", "delayMs": 60000})
            http_rate = n / (time.perf_counter() - t0)

            client = convex.ConvexClient(backend.url)
            client.set_auth(token)
            t0 = time.perf_counter()
            for i in range(n):
                client.mutation("diagnostics:ping", {"nonce": f"w-{i}", "delayMs": 60000})
            ws_rate = n / (time.perf_counter() - t0)

    return {"n": n, "http_mutations_per_s": round(http_rate, 1), "ws_mutations_per_s": round(ws_rate, 1),
            "subscription_update": await subscription_latency(min(n, 200))}


@asynccontextmanager
async def _writer_and_watcher() -> AsyncIterator[tuple[ConvexHttp, Subscriber]]:
    """A fresh local backend, one user's HTTP client (the writer) and another client's subscriber (the watcher)."""
    with tempfile.TemporaryDirectory() as tmp, LocalBackend(Path(tmp) / "b") as backend:
        token = mint_dev_token(backend.data_dir, "bench")
        async with ConvexHttp(backend.url, token=token) as http, Subscriber(backend.url, token=token) as watcher:
            yield http, watcher


async def subscription_latency(n: int = 200, pace_s: float = 0.0, apart: bool = False) -> dict[str, float]:
    """HTTP mutation of a conversation → another client's subscription to it shows the change (n samples), back to
    back, or one every `pace_s` (a stream's pace: between writes the processes idle, and on a shared box a path
    that went idle runs slower). `apart`: the watching client runs in a process of its own, as `bench live`'s does by
    default (it tells the writer each change it saw, with when: the next write goes once it did)."""
    async with _writer_and_watcher() as (http, watcher):
        api = HostApi(http)
        cid = (await api.new_conversation()).conversation_id
        with anyio.fail_after(120):
            if apart:
                return await _latency_apart(api, cid, n, pace_s)
            lat: list[float] = []
            sent = 0.0
            async for _conv in watcher.watch("chat:getConversation", {"conversationId": cid}):
                if sent:
                    lat.append(time.perf_counter() - sent)
                if len(lat) >= n:
                    break
                if pace_s:
                    await anyio.sleep(pace_s)
                sent = time.perf_counter()
                await _touch(api, cid, len(lat))
    return summary_ms(lat)


_TOUCH = "chat:markConversationSyncProgress"  # the bare round trip's mutation (`_touch`)


async def _touch(api: HostApi, cid: str, i: int) -> None:
    await api.mark_conversation_sync_progress(conversation_id=cid, sync_state="syncing", last_synced_cursor=float(i))


async def bare_hops(n: int, pace_s: float) -> dict[str, Any]:
    """The bare round trip (its watcher in a process of its own) split into the hops `bench live --timeline` splits a
    stream's writes into (tools/bench/timeline.py), from a `--verbose` backend's log: n round trips, back to back or
    one every `pace_s`."""
    with tempfile.TemporaryDirectory() as tmp, LocalBackend(Path(tmp) / "b", verbose=True) as backend:
        token = mint_dev_token(backend.data_dir, "bench")
        rows: list[tuple[float, float, float]] = []
        async with ConvexHttp(backend.url, token=token) as http:
            api = HostApi(http)
            cid = (await api.new_conversation()).conversation_id
            with anyio.fail_after(120):
                await _latency_apart(api, cid, n, pace_s, rows)
        lines = (await anyio.Path(backend.log_file).read_text(encoding="utf-8")).splitlines()
    writes = [(sent, answered, i, i + 1) for i, (sent, answered, _) in enumerate(rows)]
    return delta_timeline(writes, {i: seen for i, (_, _, seen) in enumerate(rows)}, lines, path=_TOUCH)


async def _latency_apart(api: HostApi, cid: str, n: int, pace_s: float,
                         rows: list[tuple[float, float, float]] | None = None) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    theirs, ours = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_watch_changes, args=(api.http.url, api.http.tokens.cached, cid, ours), daemon=True)
    proc.start()

    async def seen() -> float:  # abandoned when the caller's deadline passes (a watcher that died sends nothing)
        at: float = await anyio.to_thread.run_sync(theirs.recv, abandon_on_cancel=True)
        return at

    try:
        await seen()  # the conversation as it stands
        lat: list[float] = []
        while len(lat) < n:
            if pace_s:
                await anyio.sleep(pace_s)
            sent = time.perf_counter()
            await _touch(api, cid, len(lat))
            answered = time.perf_counter()
            at = await seen()
            lat.append(at - sent)
            if rows is not None:  # each round trip's times: sent, answered, seen by the watcher
                rows.append((sent, answered, at))
    finally:
        proc.kill()
        proc.join()
    return summary_ms(lat)


def _watch_changes(url: str, token: str, cid: str, out: Any) -> None:
    """The watching client of `_latency_apart`, in its own process: when (time.perf_counter, one monotonic clock for
    every process on Linux) it saw each result of the conversation."""
    async def run() -> None:
        async with Subscriber(url, token=token) as watcher:
            async for _conv in watcher.watch("chat:getConversation", {"conversationId": cid}):
                out.send(time.perf_counter())

    anyio.run(run)


async def stream_path_latency(n: int = 150, per_write: int = DELTAS_PER_WRITE, pace_s: float = 0.085) -> dict[str, Any]:
    """The live path after the host's wait, alone (no Codex, no model): an HTTP write of `per_write` deltas to a
    streaming message (``ingestEvents``, as the host sends them) → another client's ``listStreamingMessages``
    subscription shows them (watched by a task of its own, so a view arriving before the write's answer is timed when
    it arrives), one write every `pace_s` (200 deltas/s at 17 per write). Also the write's own round trip (sent →
    answered). The p50 at 200 deltas/s cannot be under the host's median wait plus this."""
    async with _writer_and_watcher() as (http, watcher):
        api = HostApi(http)
        cid = (await api.sync_open_conversation_binding(thread_id="th")).conversation.conversation_id
        seq = 0

        async def ingest(events: list[dict[str, Any]]) -> None:
            nonlocal seq
            await http.mutation("chat:ingestEvents", {"conversationId": cid, "streamId": "bench", "seq": seq,
                                                      "events": events})
            seq += len(events)

        await ingest([{"type": "turnStarted", "threadId": "th", "turnId": "t1", "at": 1.0},
                      {"type": "item", "threadId": "th", "turnId": "t1", "itemId": "m1", "phase": "started",
                       "itemType": "agentMessage", "part": 0, "partCount": 1, "at": 1.0,
                       "data": json.dumps({"type": "agentMessage", "id": "m1", "text": ""})}])
        writes: list[float] = []
        seen: list[float] = []
        sent_at: dict[int, float] = {}  # deltas written in all → when the write that brought them there was sent
        done = anyio.Event()

        async def watch() -> None:
            async for rows in watcher.watch("chat:listStreamingMessages", {"conversationId": cid}):
                shown = "".join(r["text"] for r in rows or []).count("tok")
                if shown in sent_at:
                    seen.append(time.perf_counter() - sent_at.pop(shown))
                    if len(seen) >= n:
                        done.set()
                        return

        with anyio.fail_after(300):
            async with anyio.create_task_group() as tg:
                tg.start_soon(watch)
                deltas = 0
                while not done.is_set():
                    await anyio.sleep(pace_s)
                    text = "".join(f"tok{deltas + i} " for i in range(per_write))
                    sent = time.perf_counter()
                    sent_at[deltas + per_write] = sent
                    await ingest([{"type": "messageDelta", "threadId": "th", "turnId": "t1", "itemId": "m1",
                                   "firstDelta": deltas, "deltaCount": per_write, "text": text, "at": 2.0}])
                    writes.append(time.perf_counter() - sent)
                    deltas += per_write
                tg.cancel_scope.cancel()
    return {"write": summary_ms(writes), "seen": summary_ms(seen)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    n = ap.parse_args().n
    r = anyio.run(measure, n)
    base = inprocess(n)
    r["inprocess_convex_test_mutations_per_s"] = round(base, 1)
    r["http_vs_inprocess"] = round(r["http_mutations_per_s"] / base, 3)
    r["ws_vs_inprocess"] = round(r["ws_mutations_per_s"] / base, 3)
    print(f"mutations/s: in-process convex-test {base:.0f} | HTTP {r['http_mutations_per_s']} "
          f"({r['http_vs_inprocess']}x) | sync protocol {r['ws_mutations_per_s']} ({r['ws_vs_inprocess']}x); "
          f"HTTP mutation → other client's subscription p50 {r['subscription_update']['p50_ms']} ms, "
          f"p99 {r['subscription_update']['p99_ms']} ms")
    print(f"written to {write('backend', r)}")


if __name__ == "__main__":
    main()
