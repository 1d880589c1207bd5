"""``codex-convex doctor``: a live deployment and this machine, checked; exit 0 only when all pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio
import typer

from ._output import ExitCode, console, emit_json, table


def doctor(
    url: Annotated[str | None, typer.Option("--url", help="Deployment URL (default CONVEX_URL, else the local "
                                            "backend).")] = None,
    codex_home: Annotated[Path | None, typer.Option("--codex-home", help="Default CODEX_HOME or ~/.codex.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check the deployment (reachable, auth, every host endpoint, contract version) and the machine (Codex
    binary and version, CODEX_HOME, the model)."""
    import os

    from ..deployment import codex_home as default_home
    from ..deployment import resolve_deployment
    from ..doctor import DoctorConfig, run_doctor

    token: str | None
    local = False
    if url is None:
        dep = resolve_deployment()
        url, token, local = dep.url, dep.token, dep.local
    else:
        token = os.environ.get("CONVEX_TOKEN")
    checks = anyio.run(run_doctor, DoctorConfig(url, token, codex_home or default_home(), local=local))
    ok = all(c.ok for c in checks)
    if json_out:
        emit_json({"ok": ok, "checks": [c.__dict__ for c in checks]})
    else:
        console.print(table("codex-convex doctor", ["check", "result", "code", "reason", "fix"], [
            [c.name, _result(c.ok, c.code), c.code, c.reason, c.fix] for c in checks]))
    if not ok:
        raise typer.Exit(ExitCode.FAILED)


def _result(ok: bool, code: str) -> str:
    return "[yellow]warn[/yellow]" if code == "WARNING" else "[green]pass[/green]" if ok else "[red]FAIL[/red]"
