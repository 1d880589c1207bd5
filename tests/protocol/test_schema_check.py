"""``schema check`` passes on the committed tree and names the file after any byte changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codex_convex import paths
from codex_convex.cli import app
from codex_convex.schema_tools import check

pytestmark = pytest.mark.codex


@pytest.fixture
def tree_copy(tmp_path: Path) -> tuple[Path, Path]:
    schemas = tmp_path / "schemas"
    models = tmp_path / "_generated"
    shutil.copytree(paths.schemas_dir(), schemas)
    shutil.copytree(paths.generated_models_dir(), models, ignore=shutil.ignore_patterns("__pycache__"))
    return schemas, models


def test_cli_check_exits_zero_on_the_committed_tree() -> None:
    result = CliRunner().invoke(app, ["schema", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.stdout


def test_one_changed_schema_byte_is_named(tree_copy: tuple[Path, Path]) -> None:
    schemas, models = tree_copy
    target = schemas / "v2" / "TurnStartParams.json"
    data = bytearray(target.read_bytes())
    data[10] = ord("X") if data[10] != ord("X") else ord("Y")
    target.write_bytes(bytes(data))
    report = check(schemas, models, regenerate=False)
    assert not report.ok
    assert any("v2/TurnStartParams.json" in p for p in report.problems)


def test_hand_edited_model_is_named(tree_copy: tuple[Path, Path]) -> None:
    schemas, models = tree_copy
    target = models / "v2.py"
    target.write_text(target.read_text() + "\n# a hand edit\n")
    report = check(schemas, models, regenerate=True)
    names = [p for p in report.problems if "v2.py" in p]
    assert any("vs manifest" in p for p in names)
    assert any("vs regeneration" in p for p in names)


def test_missing_manifest_is_reported(tree_copy: tuple[Path, Path]) -> None:
    schemas, models = tree_copy
    (schemas / "MANIFEST.json").unlink()
    report = check(schemas, models, regenerate=False)
    assert report.problems and "MANIFEST.json" in report.problems[0]
