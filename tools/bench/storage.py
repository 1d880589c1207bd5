"""Storage past the page cache: the durable engine grown from 100 MB to 2 GB of realistic documents (1–8 KB JSON, every
64th a 256 KB part), in-process (tools/bench/storage.ts). At each size: inserts/s (~2 MiB per transaction), then, the
file read through once so the OS's cache holds it, an indexed query's p50 and an id lookup's p50 (an id never read
before; the lowest of five rounds' medians a second apart, since this shared machine has slow spells). Then, where the
OS lets root drop its file cache, the same lookups cold (as on a machine with less memory than the database). Goal:
each within 1.5× of its 100 MB value at 2 GB.

    .venv/bin/python -m tools.bench.storage [--sizes-mb 100,500,1000,2000]
"""

from __future__ import annotations

import argparse
import json
import subprocess

from codex_convex import paths
from codex_convex.backend import find_node

from ._common import write


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes-mb", default="100,500,1000,2000")
    args = ap.parse_args()
    assert paths.REPO_ROOT is not None
    lb = paths.REPO_ROOT / "tools" / "local-backend"
    subprocess.run([find_node().path, str(lb / "build.mjs"), "--bench", "storage"], check=True, timeout=120)
    out = subprocess.run([find_node().path, "--expose-gc", "--max-old-space-size=8192",
                          str(lb / "dist" / "bench-storage.mjs"), args.sizes_mb],
                         capture_output=True, text=True, timeout=3600, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    print(f"{'db MB':>7} {'documents':>10} {'inserts/s':>10} {'MB/s':>6} {'query p50 ms':>13} {'lookup p50 ms':>14}"
          f" {'(all samples: query':>20} {'lookup)':>8} {'storage lookup µs':>18} {'cold lookup ms':>15}"
          f" {'cold storage µs':>16}")
    for r in rows:
        print(f"{r['db_mb']:>7} {r['documents']:>10} {r['inserts_per_s']:>10} {r['insert_mb_per_s']:>6} "
              f"{r['query_p50_ms']:>13} {r['lookup_p50_ms']:>14} {r['query_p50_all_ms']:>20} "
              f"{r['lookup_p50_all_ms']:>8} {r['raw_lookup_p50_us']:>18} {r['cold_lookup_p50_ms']!s:>15} "
              f"{r['cold_storage_lookup_p50_us']!s:>16}")
    first, last = rows[0], rows[-1]
    ratios = {"inserts": round(first["inserts_per_s"] / last["inserts_per_s"], 2),
              "query_p50": round(last["query_p50_ms"] / first["query_p50_ms"], 2),
              "lookup_p50": round(last["lookup_p50_ms"] / first["lookup_p50_ms"], 2),
              "query_p50_cpu_units": round(last["query_p50_cpu_units"] / first["query_p50_cpu_units"], 2),
              "lookup_p50_cpu_units": round(last["lookup_p50_cpu_units"] / first["lookup_p50_cpu_units"], 2),
              "storage_lookup_p50": round(last["raw_lookup_p50_us"] / first["raw_lookup_p50_us"], 2)}
    print(f"{last['db_mb']} MB vs {first['db_mb']} MB (slowdown, goal ≤ 1.5 each): inserts {ratios['inserts']}×, "
          f"indexed query {ratios['query_p50']}×, id lookup {ratios['lookup_p50']}×; in units of the CPU task timed "
          f"beside them (the machine's speed of the moment): query {ratios['query_p50_cpu_units']}×, "
          f"lookup {ratios['lookup_p50_cpu_units']}×; the storage layer's own id lookup "
          f"{ratios['storage_lookup_p50']}×")
    print(f"written to {write('storage', {'rows': rows, 'slowdown': ratios})}")


if __name__ == "__main__":
    main()
