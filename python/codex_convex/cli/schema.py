"""``codex-convex schema sync|check|verify``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from ._output import ExitCode, emit_json, failure, success

app = typer.Typer(help="Keep schemas/ and the generated protocol models equal to the pinned Codex.",
                  no_args_is_help=True)


@app.command("sync")
def sync_cmd(
    from_binary: Annotated[bool, typer.Option("--from-binary", help="Generate from the pinned Codex binary.")] = False,
    source: Annotated[Path | None, typer.Option("--source", help="Copy schemas from this folder.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rewrite schemas/, the manifest and the generated models."""
    from .. import paths
    from ..schema_tools import sync

    if from_binary == (source is not None):
        failure("give exactly one of --from-binary or --source DIR")
        raise typer.Exit(ExitCode.USAGE)
    manifest = sync(paths.schemas_dir(), paths.generated_models_dir(), source=source)
    if json_out:
        emit_json({"codexVersion": manifest.codex_version, "schemaFiles": len(manifest.schemas),
                   "modelFiles": sorted(manifest.models)})
    else:
        success(f"schemas/ synced from codex {manifest.codex_version}: {len(manifest.schemas)} files, "
                f"{len(manifest.models)} model files")


@app.command("check")
def check_cmd(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Fail (exit 1, naming each file) when schemas/, the manifest or the models drift from the pinned Codex."""
    from .. import paths
    from ..schema_tools import check

    report = check(paths.schemas_dir(), paths.generated_models_dir())
    if json_out:
        emit_json({"ok": report.ok, "problems": report.problems})
    elif report.ok:
        success("schemas/ and the generated models match the pinned Codex")
    else:
        for p in report.problems:
            failure(p)
    if not report.ok:
        raise typer.Exit(ExitCode.FAILED)


@app.command("verify")
def verify_cmd() -> None:
    """``schema check`` plus the protocol tests."""
    check_cmd(json_out=False)
    from .. import paths

    root = paths.REPO_ROOT
    if root is None:
        failure("schema verify runs the project's protocol tests: run it from a source checkout")
        raise typer.Exit(ExitCode.UNAVAILABLE)
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", str(root / "tests" / "protocol")], cwd=root)
    raise typer.Exit(ExitCode.OK if rc == 0 else ExitCode.FAILED)
