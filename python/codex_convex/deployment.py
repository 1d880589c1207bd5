"""Which deployment a command talks to: ``CONVEX_URL`` (+ ``CONVEX_TOKEN``, or ``CONVEX_TOKEN_COMMAND``: a command
printing a fresh JWT, run again before each token expires), else the embedded local backend, started in the
background on first use (its data folder: ``.codex-convex/backend``) with dev tokens minted as needed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .convex_api.auth import TokenSource
from .errors import CodexConvexError


@dataclass(frozen=True)
class Deployment:
    url: str
    token: str  # valid now (one-off calls, doctor)
    local: bool
    tokens: TokenSource  # for long-running commands: asked again before each token expires


def _token_command(command: str) -> Callable[[], str]:
    def run() -> str:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or not done.stdout.strip():
            raise CodexConvexError(f"CONVEX_TOKEN_COMMAND failed (exit {done.returncode}): {done.stderr.strip()[:300]}",
                                   code="E_CONFIG_TOKEN_COMMAND")
        return done.stdout.strip()
    return run


def resolve_deployment(data: Path | None = None, subject: str | None = None) -> Deployment:
    """:raises CodexConvexError: ``E_CONFIG_NO_TOKEN`` when CONVEX_URL is set without CONVEX_TOKEN."""
    url = os.environ.get("CONVEX_URL")
    if url:
        command = os.environ.get("CONVEX_TOKEN_COMMAND")
        if command:
            fetch = _token_command(command)
            return Deployment(url, fetch(), False, fetch)
        token = os.environ.get("CONVEX_TOKEN")
        if not token:
            raise CodexConvexError("CONVEX_URL is set but neither CONVEX_TOKEN nor CONVEX_TOKEN_COMMAND is: give the "
                                   "user's JWT", code="E_CONFIG_NO_TOKEN")
        return Deployment(url, token, False, token)
    from . import paths
    from .backend import LocalBackend, backend_status, mint_dev_token, stop_backend

    d = data or paths.state_dir() / "backend"
    running = backend_status(d)
    if running is not None and running.outdated():
        # started by another build (an upgrade since): it serves other functions than this host expects
        stop_backend(d)
        sys.stderr.write("the embedded local backend was running another build of codex-convex: stopped it (its "
                         "data stays) to start this one\n")
        running = None
    if running is None:
        running = LocalBackend(d, port=0, detach=True).start()
        # It keeps running after this command (the next one reuses it): say so, and how to stop it.
        sys.stderr.write(f"started the embedded local backend at {running.url} (data {d}); it keeps running: "
                         f"codex-convex backend stop{'' if data is None else f' --data {d}'}\n")
    sub = subject or os.environ.get("CODEX_CONVEX_SUBJECT", "local-user")
    return Deployment(running.url, mint_dev_token(d, sub), True, lambda: mint_dev_token(d, sub))


def codex_home() -> Path:
    """``CODEX_HOME``, else ~/.codex (Codex's own default).

    :raises CodexConvexError: (``E_CODEX_HOME_MISSING``) when ``CODEX_HOME`` names a folder that does not exist.
    """
    given = os.environ.get("CODEX_HOME")
    if given and not Path(given).is_dir():
        raise CodexConvexError(f"CODEX_HOME is {given}, which does not exist", code="E_CODEX_HOME_MISSING")
    return Path(given or Path.home() / ".codex")
