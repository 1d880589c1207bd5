"""``schema sync`` and ``schema check``: keep ``schemas/`` and the models equal to what the pinned Codex produces."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..codex.binary import CodexBinary, find_codex
from ..errors import SchemaDriftError
from .codegen import generate_models
from .manifest import MANIFEST_NAME, Manifest, build_manifest, hash_tree


def generate_schemas(binary: CodexBinary, out: Path) -> None:
    """Run ``codex app-server generate-json-schema --out out``."""
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(binary.path), "app-server", "generate-json-schema", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise SchemaDriftError(f"codex generate-json-schema failed: {proc.stderr[-2000:]}", code="E_SCHEMA_SOURCE")


def sync(schemas_dir: Path, models_dir: Path, *, source: Path | None = None,
         binary: CodexBinary | None = None) -> Manifest:
    """Replace ``schemas_dir`` with the schemas of ``source`` (a folder) or of the pinned binary, then regenerate
    the models and write the manifest."""
    binary = binary or find_codex()
    version = binary.version()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "schemas"
        if source is not None:
            shutil.copytree(source, src)
            (src / MANIFEST_NAME).unlink(missing_ok=True)
        else:
            generate_schemas(binary, src)
        if schemas_dir.exists():
            shutil.rmtree(schemas_dir)
        shutil.copytree(src, schemas_dir)
    generate_models(schemas_dir, models_dir)
    manifest = build_manifest(version, schemas_dir, models_dir)
    (schemas_dir / MANIFEST_NAME).write_text(manifest.to_json())
    return manifest


@dataclass
class DriftReport:
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _diff(label: str, expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    out = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            out.append(f"{label}/{name}: missing")
        elif name not in expected:
            out.append(f"{label}/{name}: not expected")
        elif expected[name] != actual[name]:
            out.append(f"{label}/{name}: content differs")
    return out


def check(schemas_dir: Path, models_dir: Path, *, binary: CodexBinary | None = None,
          regenerate: bool = True) -> DriftReport:
    """Compare the committed tree with the manifest, with what the pinned binary generates now, and (when
    ``regenerate``) with freshly generated models. Returns every difference, each naming its file."""
    report = DriftReport()
    manifest_path = schemas_dir / MANIFEST_NAME
    if not manifest_path.exists():
        report.problems.append(f"schemas/{MANIFEST_NAME}: missing (run `codex-convex schema sync --from-binary`)")
        return report
    manifest = Manifest.load(manifest_path)
    committed_schemas = hash_tree(schemas_dir, skip=frozenset({MANIFEST_NAME}))
    committed_models = hash_tree(models_dir)
    report.problems += _diff("schemas (vs manifest)", manifest.schemas, committed_schemas)
    report.problems += _diff("generated models (vs manifest)", manifest.models, committed_models)
    binary = binary or find_codex()
    version = binary.version()
    if version != manifest.codex_version:
        report.problems.append(f"codex version: manifest says {manifest.codex_version}, binary is {version}")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "schemas"
        generate_schemas(binary, fresh)
        report.problems += _diff("schemas (vs codex binary)", hash_tree(fresh), committed_schemas)
        if regenerate:
            fresh_models = Path(tmp) / "_generated"
            generate_models(schemas_dir, fresh_models)
            report.problems += _diff("generated models (vs regeneration)", hash_tree(fresh_models), committed_models)
    return report
