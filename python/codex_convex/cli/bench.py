"""``codex-convex bench``: run the benchmarks of tools/bench (a source checkout) and print their tables."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer

from ._output import ExitCode, failure

BENCHES = ("live", "importing", "fairness", "backend", "engine", "storage", "worst_case")
ALIASES = {"import": "importing", "worst-case": "worst_case"}


def bench(ctx: typer.Context, which: Annotated[list[str] | None, typer.Argument(
        help=f"Any of {', '.join(BENCHES)} (default all; `import` = importing); after one name, that benchmark's "
             "own options: `bench import --turns 20000`, `bench live --rate 10 200` (`bench live --help` lists "
             "them).")] = None) -> None:
    """Run benchmarks; results (with ratios against a baseline from the same run) go to tools/bench/results/."""
    from .. import paths

    names: list[str] = []
    rest = list(which or [])
    if rest and rest[0] in ("--help", "-h"):  # this command's help; after a name, the benchmark's own
        typer.echo(ctx.get_help())
        raise typer.Exit(ExitCode.OK)
    while rest and not rest[0].startswith("-"):
        name = ALIASES.get(rest[0], rest[0])
        if name not in BENCHES:
            failure(f"unknown benchmark {rest[0]!r}: one of {', '.join(BENCHES)}")
            raise typer.Exit(ExitCode.USAGE)
        names.append(name)
        rest.pop(0)
    if rest and len(names) != 1:
        failure(f"options ({' '.join(rest)}) follow exactly one benchmark's name: `codex-convex bench import --turns "
                "20000`")
        raise typer.Exit(ExitCode.USAGE)
    if paths.REPO_ROOT is None:
        failure("the benchmarks live in the source checkout (tools/bench)")
        raise typer.Exit(ExitCode.UNAVAILABLE)
    for name in names or BENCHES:
        rc = subprocess.call([sys.executable, "-m", f"tools.bench.{name}", *rest], cwd=paths.REPO_ROOT)
        if rc != 0:
            raise typer.Exit(ExitCode.FAILED)
