"""Every bash block of LLMS.md runs, in order, in a scratch folder: the manifest cannot rot."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codex_convex import paths
from codex_convex.scripted_model import ScriptedModelServer

pytestmark = pytest.mark.codex


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_every_llms_command_runs(tmp_path: Path, codex_home: Path, scripted_model: ScriptedModelServer) -> None:
    assert paths.REPO_ROOT is not None
    blocks = bash_blocks((paths.REPO_ROOT / "LLMS.md").read_text())
    assert len(blocks) >= 6
    env = {k: v for k, v in os.environ.items() if k not in ("CONVEX_URL", "CONVEX_TOKEN")}
    env |= {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
            "CODEX_CONVEX_HOME": str(tmp_path / "state"), "CODEX_HOME": str(codex_home)}
    try:
        for block in blocks:
            out = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                                 capture_output=True, text=True, timeout=180)
            assert out.returncode == 0, f"{block}\n--- stdout\n{out.stdout[-2000:]}\n--- stderr\n{out.stderr[-3000:]}"
    finally:
        subprocess.run([sys.executable, "-m", "codex_convex", "backend", "stop"], env=env, capture_output=True)
    assert json.loads((tmp_path / "turn.json").read_text())["status"] == "completed"
    assert json.loads((tmp_path / "import.json").read_text())[0]["state"] == "synced"
    assert (tmp_path / "my-app" / "convex" / "chat.ts").exists()
