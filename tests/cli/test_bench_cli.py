"""``codex-convex bench``: the benchmark named as the docs name it, with its own options, prints its comparison
against the baseline measured in the same run and writes its result file; a wrong name or misplaced options are
usage errors that run nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.backend]


def bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CODEX_CONVEX_BENCH_RESULTS": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "codex_convex", "bench", *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.timeout(300)
def test_bench_import_with_its_options_compares_against_the_physical_ceiling(tmp_path: Path) -> None:
    from codex_convex.sync import chunk_records, thread_records
    from tools.bench.importing import synthetic_thread

    turns = 300  # two chunks: the import's own count, not the smaller threads the bench replaces afterwards
    chunks = sum(1 for _ in chunk_records(thread_records(synthetic_thread("import-thread", turns))))
    assert chunks == 2
    r = bench(tmp_path, "import", "--turns", str(turns))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "physical ceiling: the " in r.stdout and "writes per final row" in r.stdout, r.stdout
    result = json.loads((tmp_path / "import.json").read_text())
    assert result["turns"] == turns  # the option reached the benchmark
    assert result["chunks"] == chunks and f"in {chunks} chunks" in r.stdout
    assert result["import_vs_physical_ceiling"] > 0 and result["rows_per_record"] >= 1
    assert result["state"] == "synced" and result["delete_phase"] == "completed"


@pytest.mark.parametrize("args, says", [
    (["nosuch"], "unknown benchmark 'nosuch'"),
    (["live", "importing", "--rate", "5"], "follow exactly one benchmark's name"),
    (["--turns", "5"], "follow exactly one benchmark's name"),
])
def test_a_wrong_name_or_misplaced_options_run_nothing(tmp_path: Path, args: list[str], says: str) -> None:
    r = bench(tmp_path, *args)
    assert r.returncode == 2 and says in r.stderr, (r.returncode, r.stderr)
    assert list(tmp_path.iterdir()) == []


def test_help_is_the_commands_and_after_a_name_the_benchmarks_own(tmp_path: Path) -> None:
    own = bench(tmp_path, "--help")
    assert own.returncode == 0 and "Usage: codex-convex bench" in own.stdout, own.stdout
    live = bench(tmp_path, "live", "--help")
    assert live.returncode == 0 and "--rate" in live.stdout and "--per-write" in live.stdout, live.stdout
    assert list(tmp_path.iterdir()) == []
