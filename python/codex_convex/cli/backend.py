"""``codex-convex backend start|stop|status`` and ``codex-convex dev-token``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._output import ExitCode, emit_json, failure, info, success

app = typer.Typer(help="The embedded local Convex backend (used when CONVEX_URL is not set).", no_args_is_help=True)

DataOpt = Annotated[Path | None, typer.Option("--data", help="Data folder (default: .codex-convex/backend).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


def _data(data: Path | None) -> Path:
    from .. import paths

    return data or paths.state_dir() / "backend"


@app.command("start")
def start(port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 3210,
          data: DataOpt = None, verbose: bool = False, json_out: JsonOpt = False,
          allow_origin: Annotated[list[str] | None, typer.Option(
              help="A web app's origin (e.g. https://app.example) admitted besides pages on this machine; "
                   "repeatable.")] = None) -> None:
    """Start the local backend in the background and print its URL."""
    from ..backend import LocalBackend, backend_status, stop_backend

    d = _data(data)
    running = backend_status(d)
    if running is not None and running.outdated():  # another build's (an upgrade since): restart
        stop_backend(d)
        info("the local backend was running another build of codex-convex: stopped it (its data stays)")
        port = int(running.url.rsplit(":", 1)[1]) if port == 3210 else port  # keep the URL scripts exported
        running = None
    if running is not None:  # already there: the same answer as a fresh start (scripts under `set -e` go on)
        if json_out:
            emit_json({"url": running.url, "pid": running.pid, "data": str(d), "alreadyRunning": True})
        else:
            success(f"local backend already running at {running.url} (pid {running.pid}, data {d})")
            info(f"  export CONVEX_URL={running.url}")
        return
    started = LocalBackend(d, port=port, verbose=verbose, detach=True, allow_origins=tuple(allow_origin or ())).start()
    if json_out:
        emit_json({"url": started.url, "pid": started.pid, "data": str(d), "alreadyRunning": False})
    else:
        success(f"local backend at {started.url} (pid {started.pid}, data {d})")
        info(f"  export CONVEX_URL={started.url}")


@app.command("status")
def status(data: DataOpt = None, json_out: JsonOpt = False) -> None:
    """Exit 0 and print the URL when a backend is running for the data folder, else exit 1."""
    from ..backend import backend_status

    running = backend_status(_data(data))
    if json_out:
        emit_json({"running": running is not None, **({"url": running.url, "pid": running.pid} if running else {})})
    elif running:
        success(f"running at {running.url} (pid {running.pid})")
    else:
        failure("not running")
    if running is None:
        raise typer.Exit(ExitCode.FAILED)


@app.command("stop")
def stop(data: DataOpt = None) -> None:
    """Stop the backend of the data folder."""
    from ..backend import stop_backend

    if stop_backend(_data(data)):
        success("stopped")
    else:
        info("no backend was running")


@app.command("export")
def export(out: Annotated[Path, typer.Option("--out", help="ZIP to write.")], data: DataOpt = None,
           json_out: JsonOpt = False) -> None:
    """Write every document of the running local backend to a ZIP (the layout `npx convex import` reads)."""
    from ..backend import backend_status
    from ..backend.transfer import export_zip

    running = backend_status(_data(data))
    if running is None:
        failure("no local backend is running for this data folder (codex-convex backend start)")
        raise typer.Exit(ExitCode.UNAVAILABLE)
    counts = export_zip(running.url, running.admin_key, out)
    if json_out:
        emit_json({"out": str(out), "tables": counts})
    else:
        success(f"exported {sum(counts.values())} documents from {len(counts)} tables to {out}")


@app.command("import")
def import_(src: Annotated[Path, typer.Argument(help="A ZIP written by `backend export`.")], data: DataOpt = None,
            json_out: JsonOpt = False) -> None:
    """Load an export into the running local backend (it must be empty)."""
    from ..backend import backend_status
    from ..backend.transfer import import_zip
    from ..errors import CodexConvexError

    running = backend_status(_data(data))
    if running is None:
        failure("no local backend is running for this data folder (codex-convex backend start)")
        raise typer.Exit(ExitCode.UNAVAILABLE)
    try:
        n = import_zip(running.url, running.admin_key, src)
    except CodexConvexError as exc:
        failure(str(exc))
        raise typer.Exit(ExitCode.FAILED) from exc
    if json_out:
        emit_json({"imported": n})
    else:
        success(f"imported {n} documents")


def dev_token(subject: Annotated[str, typer.Option("--subject", help="The user id (JWT `sub`).")],
              ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
              data: DataOpt = None) -> None:
    """Print a JWT for the local backend's dev issuer."""
    import sys

    from ..backend import mint_dev_token
    from ..errors import CodexConvexError

    try:
        token = mint_dev_token(_data(data), subject, ttl_s=ttl)
    except CodexConvexError as exc:
        failure(str(exc))
        raise typer.Exit(ExitCode.UNAVAILABLE) from exc
    sys.stdout.write(token + "\n")
