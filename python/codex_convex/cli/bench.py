"""``codex-convex bench``: run the benchmarks of tools/bench (a source checkout) and print their tables."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer

from ._output import ExitCode, failure

BENCHES = ("live", "importing", "fairness", "backend", "engine", "storage", "worst_case")


def bench(which: Annotated[list[str] | None, typer.Argument(help=f"Any of {', '.join(BENCHES)} (default all).")]
          = None) -> None:
    """Run benchmarks; results (with ratios against a baseline from the same run) go to tools/bench/results/."""
    from .. import paths

    if paths.REPO_ROOT is None:
        failure("the benchmarks live in the source checkout (tools/bench)")
        raise typer.Exit(ExitCode.UNAVAILABLE)
    for name in which or BENCHES:
        if name not in BENCHES:
            failure(f"unknown benchmark {name!r}")
            raise typer.Exit(ExitCode.USAGE)
        rc = subprocess.call([sys.executable, "-m", f"tools.bench.{name}"], cwd=paths.REPO_ROOT)
        if rc != 0:
            raise typer.Exit(ExitCode.FAILED)
