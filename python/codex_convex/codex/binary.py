"""Find the pinned Codex binary: ``CODEX_BIN`` if set, else the one shipped by ``openai-codex-cli-bin``.

Always the native binary, never a Node wrapper (a wrapper costs ~400 ms per spawn).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import CodexNotFoundError

PINNED_CODEX_VERSION = "0.163.0"


@dataclass(frozen=True)
class CodexBinary:
    path: Path
    path_dir: Path | None  # folder with the bundled helpers (rg), put first on PATH

    def version(self) -> str:
        """The version the binary reports (``codex --version`` → ``codex-cli X.Y.Z``)."""
        out = subprocess.run([str(self.path), "--version"], capture_output=True, text=True, timeout=30, check=True)
        return out.stdout.strip().split()[-1]


def find_codex() -> CodexBinary:
    """Locate the Codex binary.

    :raises CodexNotFoundError: when neither ``CODEX_BIN`` nor the pinned package provides one.
    """
    override = os.environ.get("CODEX_BIN")
    if override:
        path = Path(override)
        if not path.is_file():
            raise CodexNotFoundError(f"CODEX_BIN={override} is not a file")
        return CodexBinary(path, None)
    try:
        import codex_cli_bin
    except ImportError as exc:
        raise CodexNotFoundError(
            f"openai-codex-cli-bin=={PINNED_CODEX_VERSION} is not installed; pip install codex-convex brings it"
        ) from exc
    path = Path(codex_cli_bin.bundled_codex_path())
    path_dir = Path(codex_cli_bin.bundled_path_dir())
    if not path.is_file():
        raise CodexNotFoundError(f"the bundled Codex binary is missing at {path}")
    return CodexBinary(path, path_dir)
