"""``codex-convex host-shim sync|check``: render or verify chat.ts, the contract JSON and the Python API."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from ..host_api import CONTRACT_VERSION
from ._output import ExitCode, failure, success

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


AppDir = Annotated[Path | None, typer.Option("--app-dir", help="Your app's convex/ folder: write or check the "
                                            "shim there instead of in this checkout.")]


def _app_files(app_dir: Path) -> list[tuple[Path, Path]]:
    from .. import paths

    return [(src, app_dir / name) for name, src in paths.shim_sources().items()]


@app.command("sync")
def sync(app_dir: AppDir = None) -> None:
    """Render the shim from the contract (in this checkout: app/chat.ts, the contract JSON and the Python API),
    or copy it into your app's convex/ folder with --app-dir."""
    if app_dir is not None:
        app_dir.mkdir(parents=True, exist_ok=True)
        for src, dst in _app_files(app_dir):
            dst.write_text(src.read_text())
            success(f"wrote {dst}")
        return
    rc = _run(check=False)
    raise typer.Exit(ExitCode.OK if rc == 0 else ExitCode.FAILED)


@app.command("check")
def check(app_dir: AppDir = None) -> None:
    """Exit 1, naming each file, when the shim drifts from the contract (this checkout), or when your app's copy
    (--app-dir) differs from the one this package version expects."""
    if app_dir is not None:
        drift = [dst for src, dst in _app_files(app_dir) if not dst.exists() or dst.read_text() != src.read_text()]
        for dst in drift:
            failure(f"{dst}: {'missing' if not dst.exists() else 'differs from the shim of this package version'}")
        if drift:
            failure("run `codex-convex host-shim sync --app-dir DIR` and redeploy")
            raise typer.Exit(ExitCode.FAILED)
        success(f"{app_dir}: the shim matches contract v{CONTRACT_VERSION}")
        return
    rc = _run(check=True)
    raise typer.Exit(ExitCode.OK if rc == 0 else (ExitCode.FAILED if rc == 1 else rc))
