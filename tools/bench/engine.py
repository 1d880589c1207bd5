"""Indexed query latency against table size, in-process (tools/bench/engine.ts), on the durable engine and on
convex-test's own in-memory store (the baseline), inserts/s, and subscription update latency over the wire: the
durable engine (SQLite) should stay flat (within 2×) from 10k to 1M documents; convex-test as is scans every
document of the component.

    .venv/bin/python -m tools.bench.engine [--sizes 10000,100000,1000000] [--memory-sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess

import anyio

from codex_convex import paths
from codex_convex.backend import find_node

from ._common import write
from .backend import subscription_latency


def run(engine: str, sizes: str) -> list[dict[str, float]]:
    assert paths.REPO_ROOT is not None
    lb = paths.REPO_ROOT / "tools" / "local-backend"
    out = subprocess.run([find_node().path, "--expose-gc", "--max-old-space-size=8192",
                          str(lb / "dist" / "bench-engine.mjs"), engine, sizes],
                         capture_output=True, text=True, timeout=1800, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--memory-sizes", default="10000,100000,1000000")
    args = ap.parse_args()
    assert paths.REPO_ROOT is not None
    build = paths.REPO_ROOT / "tools" / "local-backend" / "build.mjs"
    subprocess.run([find_node().path, str(build), "--bench", "engine"], check=True, timeout=120)
    rows = run("durable", args.sizes) + run("memory", args.memory_sizes)
    print(f"{'engine':>8} {'documents':>10} {'inserts/s':>10} {'query p50 ms':>13} {'query max ms':>13}")
    for r in rows:
        print(f"{r['engine']:>8} {r['documents']:>10} {r['inserts_per_s']:>10} {r['query_p50_ms']:>13} "
              f"{r['query_max_ms']:>13}")
    subs = anyio.run(subscription_latency)
    print(f"subscription update (HTTP mutation → other client sees it): p50 {subs['p50_ms']} ms, "
          f"p99 {subs['p99_ms']} ms")
    durable = [r for r in rows if r["engine"] == "durable"]
    ratio = durable[-1]["query_p50_ms"] / durable[0]["query_p50_ms"]
    print(f"durable query p50 {durable[-1]['documents']} vs {durable[0]['documents']} documents: {ratio:.2f}x "
          f"(goal: within 2x)")
    result = {"rows": rows, "durable_growth": round(ratio, 2), "subscription_update": subs}
    print(f"written to {write('engine', result)}")


if __name__ == "__main__":
    main()
