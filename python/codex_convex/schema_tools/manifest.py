"""The sha256 manifest of ``schemas/`` and of the generated protocol models (``schemas/MANIFEST.json``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "MANIFEST.json"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hash_tree(root: Path, *, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """``{relative posix path: sha256}`` of every file under ``root`` (sorted, ``skip`` names left out)."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name not in skip and "__pycache__" not in p.parts:
            out[p.relative_to(root).as_posix()] = sha256_file(p)
    return out


@dataclass(frozen=True)
class Manifest:
    codex_version: str
    schemas: dict[str, str]
    models: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(
            {"codexVersion": self.codex_version, "schemas": self.schemas, "generatedModels": self.models},
            indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text())
        return cls(data["codexVersion"], data["schemas"], data["generatedModels"])


def build_manifest(codex_version: str, schemas_dir: Path, models_dir: Path) -> Manifest:
    return Manifest(codex_version, hash_tree(schemas_dir, skip=frozenset({MANIFEST_NAME})), hash_tree(models_dir))
