"""``codex-convex host-shim check`` passes on the tree and fails after a hand edit or a contract change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codex_convex import paths
from codex_convex.cli import app

assert paths.REPO_ROOT is not None
CHAT = paths.REPO_ROOT / "convex" / "app" / "chat.ts"
CONTRACT = paths.REPO_ROOT / "convex" / "contract" / "hostContract.ts"
PY_API = paths.REPO_ROOT / "python" / "codex_convex" / "host_api" / "_generated" / "endpoints.py"


@pytest.fixture
def edit() -> Iterator[Callable[[Path, str, str], None]]:
    """Edit a tracked file for one test; the original text is put back afterwards."""
    originals: dict[Path, str] = {}

    def _edit(path: Path, old: str, new: str) -> None:
        text = path.read_text()
        originals.setdefault(path, text)
        assert old in text
        path.write_text(text.replace(old, new, 1))

    yield _edit
    for path, text in originals.items():
        path.write_text(text)


def test_check_passes_on_the_committed_tree() -> None:
    assert CliRunner().invoke(app, ["host-shim", "check"]).exit_code == 0


@pytest.mark.parametrize(("path", "old", "new"), [
    (CHAT, "requireActor(ctx)", "requireActor(ctx) /* hand edit */"),
    (PY_API, "class HostApi(HostApiBase):", "class HostApi(HostApiBase):  # hand edit"),
    (CONTRACT, "Create an empty conversation.", "Create a conversation."),
])
def test_check_fails_after_a_change(edit: Callable[[Path, str, str], None], path: Path, old: str, new: str,
                                    capfd: pytest.CaptureFixture[str]) -> None:
    edit(path, old, new)
    result = CliRunner().invoke(app, ["host-shim", "check"])
    assert result.exit_code == 1
    err = capfd.readouterr().err
    assert "differs from the contract" in err
