"""``schemas/`` and the pydantic models generated from it: sync from the pinned Codex, check for drift."""

from .manifest import MANIFEST_NAME, Manifest, build_manifest
from .sync import DriftReport, check, generate_schemas, sync

__all__ = ["MANIFEST_NAME", "DriftReport", "Manifest", "build_manifest", "check", "generate_schemas", "sync"]
