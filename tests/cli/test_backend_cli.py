"""``codex-convex backend start --engine``: the chosen engine runs, and a backend that cannot start says why."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from codex_convex.cli import app

pytestmark = pytest.mark.backend


@pytest.mark.parametrize("engine", ["memory", "durable"])
def test_start_with_an_engine(tmp_path: Path, engine: str) -> None:
    runner = CliRunner()
    started = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(tmp_path), "--engine", engine,
                                  "--json"])
    assert started.exit_code == 0, started.output
    try:
        url = json.loads(started.stdout)["url"]
        assert httpx.get(f"{url}/health").json()["engine"] == engine
    finally:
        assert runner.invoke(app, ["backend", "stop", "--data", str(tmp_path)]).exit_code == 0
    assert (tmp_path / "db" / "data.sqlite3").exists() == (engine == "durable")


def test_an_unknown_engine_is_refused(tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["backend", "start", "--data", str(tmp_path), "--engine", "postgres"])
    assert out.exit_code == 2 and "postgres" in out.output


def test_a_backend_that_cannot_open_its_data_says_why(tmp_path: Path) -> None:
    (tmp_path / "db").write_text("a file where the database folder belongs")
    out = CliRunner().invoke(app, ["backend", "start", "--port", "0", "--data", str(tmp_path)])
    assert out.exit_code != 0
    assert "E_BACKEND_START" in out.output
