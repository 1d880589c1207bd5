"""Which deployment a command talks to: ``CONVEX_URL`` (+ ``CONVEX_TOKEN``), else the embedded local backend,
started in the background on first use (its data folder: ``.codex-convex/backend``) with a dev token."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CodexConvexError


@dataclass(frozen=True)
class Deployment:
    url: str
    token: str
    local: bool


def resolve_deployment(data: Path | None = None, subject: str | None = None) -> Deployment:
    """:raises CodexConvexError: ``E_CONFIG_NO_TOKEN`` when CONVEX_URL is set without CONVEX_TOKEN."""
    url = os.environ.get("CONVEX_URL")
    if url:
        token = os.environ.get("CONVEX_TOKEN")
        if not token:
            raise CodexConvexError("CONVEX_URL is set but CONVEX_TOKEN is not: give the user's JWT",
                                   code="E_CONFIG_NO_TOKEN")
        return Deployment(url, token, False)
    from .. import paths
    from ..backend import LocalBackend, backend_status, mint_dev_token

    d = data or paths.state_dir() / "backend"
    running = backend_status(d)
    if running is None:
        running = LocalBackend(d, port=0, detach=True).start()
    sub = subject or os.environ.get("CODEX_CONVEX_SUBJECT", "local-user")
    return Deployment(running.url, mint_dev_token(d, sub), True)


def codex_home() -> Path:
    """``CODEX_HOME``, else ~/.codex (Codex's own default)."""
    return Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
