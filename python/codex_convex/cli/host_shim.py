"""``codex-convex host-shim sync|check``: render or verify chat.ts, the contract JSON and the Python API."""

from __future__ import annotations

import shutil
import subprocess

import typer

from ._output import ExitCode, failure

app = typer.Typer(help="The host shim generated from the contract (convex/contract/hostContract.ts).",
                  no_args_is_help=True)


def _run(check: bool) -> int:
    from .. import paths

    if paths.REPO_ROOT is None:
        failure("host-shim works on a source checkout (convex/ and its node_modules)")
        return ExitCode.UNAVAILABLE
    npm = shutil.which("npm")
    if npm is None:
        failure("host-shim needs Node.js and npm on PATH")
        return ExitCode.UNAVAILABLE
    script = "shim:check" if check else "shim"
    return subprocess.call([npm, "run", "--silent", script], cwd=paths.REPO_ROOT / "convex")


@app.command("sync")
def sync() -> None:
    """Rewrite app/chat.ts, contract/host-contract.json and the Python endpoint API from the contract."""
    rc = _run(check=False)
    raise typer.Exit(ExitCode.OK if rc == 0 else ExitCode.FAILED)


@app.command("check")
def check() -> None:
    """Exit 1, naming each file, when the shim, the contract JSON or the Python API drift from the contract."""
    rc = _run(check=True)
    raise typer.Exit(ExitCode.OK if rc == 0 else (ExitCode.FAILED if rc == 1 else rc))
