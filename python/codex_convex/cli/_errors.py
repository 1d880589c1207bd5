"""The command line's one error path: an expected error is one line ``✗ CODE: message`` and its fix on stderr (with
``--json``, ``{"error": {"code", "message", "hint"}}`` on stdout), and the documented exit code: 1 failed, 2 usage
(bad arguments or input), 3 a missing tool or service. A traceback only with ``--debug``."""

from __future__ import annotations

import traceback
from typing import Any

from ..error_codes import ERRORS
from ..errors import CodexConvexError
from ._output import ExitCode, console, emit_json

BUG_HINT = "Rerun with --debug for the traceback, and report it."


def _leaf(exc: BaseException) -> BaseException:
    """The error that matters inside task-group wrappers: the first coded one, else the first leaf."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = [_leaf(e) for e in exc.exceptions]
        return next((e for e in leaves if isinstance(e, CodexConvexError)), leaves[0])
    return exc


def describe(exc: BaseException) -> tuple[str, str, str, ExitCode]:
    """(code, message, hint, exit code) of an error the CLI reports."""
    exc = _leaf(exc)
    if isinstance(exc, CodexConvexError):
        spec = ERRORS.get(exc.code)
        kind = spec.kind if spec else "failed"
        code = ExitCode.UNAVAILABLE if kind == "unavailable" else ExitCode.USAGE if kind == "invalid" \
            else ExitCode.FAILED
        return exc.code, exc.message, spec.fix if spec else BUG_HINT, code
    if isinstance(exc, OSError) and exc.filename is not None:
        return "E_CLI_FILE", f"{exc.strerror or exc}: {exc.filename}", ERRORS["E_CLI_FILE"].fix, ExitCode.USAGE
    return "E_INTERNAL", f"{type(exc).__name__}: {exc}", BUG_HINT, ExitCode.FAILED


def report(exc: BaseException, *, json_out: bool, debug: bool) -> int:
    """Print an error the CLI's way and return its exit code."""
    code, message, hint, exit_code = describe(exc)
    if debug:
        console.print("".join(traceback.format_exception(exc)), markup=False, highlight=False)
    one_line = " ".join(message.split())
    if json_out:
        doc: dict[str, Any] = {"error": {"code": code, "message": one_line, "hint": hint}}
        emit_json(doc)
    console.print(f"[red]✗[/red] {code}: {one_line}", markup=True, highlight=False, soft_wrap=True)
    console.print(f"  [dim]fix:[/dim] {hint}", highlight=False, soft_wrap=True)
    return int(exit_code)
