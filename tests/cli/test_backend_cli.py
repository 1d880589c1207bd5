"""``codex-convex backend start``: the backend keeps its data on disk, and a backend that cannot start says why."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from codex_convex.cli import app, run_cli

pytestmark = pytest.mark.backend


def test_start_keeps_data_on_disk(tmp_path: Path) -> None:
    runner = CliRunner()
    started = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(tmp_path), "--json"])
    assert started.exit_code == 0, started.output
    try:
        url = json.loads(started.stdout)["url"]
        assert httpx.get(f"{url}/health").json()["engine"] == "durable"
    finally:
        assert runner.invoke(app, ["backend", "stop", "--data", str(tmp_path)]).exit_code == 0
    assert (tmp_path / "db" / "data.sqlite3").exists()


def test_a_backend_that_cannot_open_its_data_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "db").write_text("a file where the database folder belongs")
    code = run_cli(["backend", "start", "--port", "0", "--data", str(tmp_path)])
    assert code == 3  # a service that cannot start
    assert "✗ E_BACKEND_START" in capsys.readouterr().err


def test_start_when_one_runs_answers_its_url(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(tmp_path), "--json"])
    try:
        again = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(tmp_path), "--json"])
        assert again.exit_code == 0  # a script under `set -e` goes on
        assert json.loads(again.stdout)["url"] == json.loads(first.stdout)["url"]
        assert json.loads(again.stdout)["alreadyRunning"] is True
    finally:
        runner.invoke(app, ["backend", "stop", "--data", str(tmp_path)])


def test_stop_signals_only_the_backend_itself(tmp_path: Path) -> None:
    """A stale backend.json whose pid now belongs to another program: `backend stop` leaves that program alone."""
    import subprocess
    import sys

    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "backend.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": bystander.pid}))
        out = CliRunner().invoke(app, ["backend", "stop", "--data", str(tmp_path)])
        assert out.exit_code == 0 and "no backend was running" in out.output
        assert bystander.poll() is None  # not signalled
        assert not (tmp_path / "backend.json").exists()  # the stale record is gone
        # the real thing is stopped
        runner = CliRunner()
        started = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(tmp_path), "--json"])
        assert started.exit_code == 0, started.output
        url = json.loads(started.stdout)["url"]
        assert "stopped" in runner.invoke(app, ["backend", "stop", "--data", str(tmp_path)]).output
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/health", timeout=2)
    finally:
        bystander.kill()
        bystander.wait()
