"""Shared fixtures: the scripted model, a CODEX_HOME pointed at it, and a clean HOME for Codex's shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_convex.codex import write_scripted_home
from codex_convex.scripted_model import ScriptedModelServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        yield server


@pytest.fixture
def codex_home(tmp_path: Path, scripted_model: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    # exec_command runs `bash -lc`: keep the user's rc files out of it
    home = tmp_path / "user-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return write_scripted_home(tmp_path / "codex-home", scripted_model.base_url)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    return d
