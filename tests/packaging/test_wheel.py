"""A user who only ran ``pip install codex-convex`` gets the embedded backend: the wheel carries the bundled local
backend and its SQLite addon, and the bundle runs on its own, outside the checkout, with no node_modules."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from codex_convex import paths

pytestmark = pytest.mark.backend


def test_the_wheel_ships_a_backend_that_runs_without_the_checkout(tmp_path: Path) -> None:
    assert paths.REPO_ROOT is not None
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(paths.REPO_ROOT), "--no-deps", "--quiet",
                            "-w", str(tmp_path / "wheels")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "wheels").glob("codex_convex-*.whl"))
    assert not wheel.name.endswith("-none-any.whl")  # it carries a native addon: tagged for the platform
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        z.extractall(site)
    for f in ("local-backend.mjs", "better_sqlite3.node"):
        assert f"codex_convex/_data/backend/{f}" in names
    assert "codex_convex/_data/schemas/manifest.json" in names or any(n.startswith("codex_convex/_data/schemas/")
                                                                      for n in names)

    bundle = site / "codex_convex" / "_data" / "backend" / "local-backend.mjs"
    data = tmp_path / "data"
    proc = subprocess.Popen(["node", str(bundle), "--port", "0", "--data", str(data)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        event = json.loads(proc.stdout.readline())
        assert httpx.get(f"{event['url']}/health", timeout=10).json()["engine"] == "durable"
        key = (data / "admin-key").read_text().strip()
        call = {"path": "_probes/limits:insertNumbered", "args": {"from": 0, "n": 3}, "format": "json"}
        r = httpx.post(f"{event['url']}/api/mutation", json=call, headers={"Authorization": f"Convex {key}"})
        assert r.json()["status"] == "success", r.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (data / "db" / "data.sqlite3").stat().st_size > 0
