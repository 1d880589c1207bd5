"""The ``codex-convex`` command line: the root app wires one sub-app per group; commands live one per file."""

from __future__ import annotations

import os
import sys

import typer

from .. import logs
from . import (
    approvals,
    backend,
    bench,
    conversations,
    delete,
    demo,
    doctor,
    host_shim,
    run,
    schema,
    send,
    stop,
    sync,
    ui,
)
from ._errors import report
from ._output import ExitCode, console

app = typer.Typer(name="codex-convex", no_args_is_help=True, add_completion=False,
                  help="Run OpenAI Codex locally while everything it does lives in Convex.")
app.add_typer(schema.app, name="schema")
app.add_typer(backend.app, name="backend")
app.add_typer(host_shim.app, name="host-shim")
app.command("approvals")(approvals.approvals)
app.command("approve")(approvals.approve)
app.command("decline")(approvals.decline)
app.command("answer")(approvals.answer)
app.command("dev-token")(backend.dev_token)
app.command("demo")(demo.demo)
app.command("doctor")(doctor.doctor)
app.command("conversations")(conversations.conversations)
app.command("run")(run.run)
app.command("review")(run.review)
app.command("stop")(stop.stop)
app.command("resume-goal")(stop.resume_goal)
app.command("goal")(stop.goal)
app.command("send")(send.send)
app.command("sync")(sync.sync)
app.command("jobs")(sync.jobs)
app.command("delete")(delete.delete)
app.command("purge")(delete.purge)
app.command("bench", context_settings={"ignore_unknown_options": True, "help_option_names": []})(bench.bench)
app.command("ui")(ui.ui)


def run_cli(argv: list[str]) -> int:
    """Run one command; every outcome is an exit code (errors are reported by cli._errors, never as a traceback
    unless ``--debug`` is among the arguments)."""
    debug = "--debug" in argv
    args = [a for a in argv if a != "--debug"]
    try:
        rv = app(args=args, prog_name="codex-convex", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        console.print("[red]✗[/red] interrupted")
        return 130
    except typer.TyperException as exc:  # usage: bad options or arguments (typer's own click)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            console.print(f"[red]✗[/red] {exc}")
        return int(getattr(exc, "exit_code", ExitCode.USAGE))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # the one place every other error is reported
        return report(exc, json_out="--json" in args, debug=debug)


def main() -> None:
    logs.configure()
    code = 1
    try:
        code = run_cli(sys.argv[1:])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    # The official convex client's runtime can abort the interpreter while it finalizes (seen as "Fatal Python
    # error: PyGILState_Release" after a subscription was used): everything is written and flushed, so leave
    # without finalizing.
    os._exit(code)


__all__ = ["app", "main", "run_cli"]
