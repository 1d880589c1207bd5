"""Where the package finds its data: the packaged copy inside a wheel, else the source checkout.

Owns file locations only; reads nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "_data"
# In a checkout (editable install) the package lives at <repo>/python/codex_convex.
REPO_ROOT: Path | None = PACKAGE_DIR.parents[1] if (PACKAGE_DIR.parents[1] / "pyproject.toml").exists() else None


def schemas_dir() -> Path:
    """The committed Codex protocol schemas (``schemas/``)."""
    if REPO_ROOT is not None:
        return REPO_ROOT / "schemas"
    return DATA_DIR / "schemas"


def generated_models_dir() -> Path:
    return PACKAGE_DIR / "protocol" / "_generated"


def backend_bundle() -> Path:
    """The local backend bundled into one JS file (built by ``make bundle`` or at wheel build)."""
    if REPO_ROOT is not None:
        return REPO_ROOT / "tools" / "local-backend" / "dist" / "local-backend.mjs"
    return DATA_DIR / "backend" / "local-backend.mjs"


def web_dist() -> Path:
    """The conversation page (``codex-convex ui``), built by ``make bundle`` (tools/web/build.mjs) or at wheel build."""
    if REPO_ROOT is not None:
        return REPO_ROOT / "tools" / "web" / "dist"
    return DATA_DIR / "web"


def state_dir() -> Path:
    """Folder for the embedded backend's data and the dev signing key: ``CODEX_CONVEX_HOME`` if set, else
    ``.codex-convex`` in the checkout (or the home folder for an installed package)."""
    override = os.environ.get("CODEX_CONVEX_HOME")
    if override:
        return Path(override)
    base = REPO_ROOT if REPO_ROOT is not None else Path.home()
    return base / ".codex-convex"


def shim_sources() -> dict[str, Path]:
    """The rendered host shim files an app copies into its ``convex/`` folder."""
    base = REPO_ROOT / "convex" / "app" if REPO_ROOT is not None else DATA_DIR / "shim"
    return {name: base / name for name in ("chat.ts", "actor.ts")}
