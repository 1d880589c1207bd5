"""Shared bench helpers: percentiles, machine description, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

# CODEX_CONVEX_BENCH_RESULTS: another folder for the result files (keeps a run out of the checkout's recorded ones)
RESULTS = Path(os.environ.get("CODEX_CONVEX_BENCH_RESULTS") or Path(__file__).parent / "results")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def summary_ms(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 2), "p99_ms": round(pct(ms, 99), 2),
            "max_ms": round(max(ms), 2) if ms else float("nan"),
            "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan")}


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def write(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2) + "\n")
    return path


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of this process and of each direct child by its command name (Linux /proc):
    where a run's processor time went on a shared box. Empty where /proc is not there."""
    out: dict[str, float] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return out
    t = os.times()
    out["this process"] = t.user + t.system
    tick = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()  # from the state: ppid is fields[1], utime/stime [11]/[12]
        if int(fields[1]) == me:
            out[comm] = out.get(comm, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out
