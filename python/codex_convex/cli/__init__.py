"""The ``codex-convex`` command line: the root app wires one sub-app per group; commands live one per file."""

from __future__ import annotations

import os
import sys

import typer

from .. import logs
from . import approvals, backend, bench, delete, demo, doctor, host_shim, run, schema, sync

app = typer.Typer(name="codex-convex", no_args_is_help=True, add_completion=False,
                  help="Run OpenAI Codex locally while everything it does lives in Convex.")
app.add_typer(schema.app, name="schema")
app.add_typer(backend.app, name="backend")
app.add_typer(host_shim.app, name="host-shim")
app.add_typer(approvals.app, name="approvals")
app.command("dev-token")(backend.dev_token)
app.command("demo")(demo.demo)
app.command("doctor")(doctor.doctor)
app.command("run")(run.run)
app.command("sync")(sync.sync)
app.command("jobs")(sync.jobs)
app.command("delete")(delete.delete)
app.command("purge")(delete.purge)
app.command("bench")(bench.bench)


def main() -> None:
    logs.configure()
    code = 0
    try:
        app()  # standalone: usage errors are printed, and every outcome ends in SystemExit
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    # The official convex client's runtime can abort the interpreter while it finalizes (seen as "Fatal Python
    # error: PyGILState_Release" after a subscription was used): everything is written and flushed, so leave
    # without finalizing.
    os._exit(code)


__all__ = ["app", "main"]
