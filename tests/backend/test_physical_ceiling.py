"""The import bench's physical ceiling inserts the import's documents as the backend inserts any document: one the
backend (and Convex) refuses is refused there too, so the ceiling is not faster for skipping a check every real
write pays."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tools.bench.importing import physical_ceiling

pytestmark = [pytest.mark.backend]


def segment_docs(path: Path, text: str) -> Path:
    doc = {"_id": "x", "_creationTime": 1.0, "actor": "a", "threadId": "t", "turnId": "u", "itemId": "i",
           "segment": 0, "firstDelta": 0, "deltaCount": 1, "text": text}
    path.write_text(json.dumps(["message_segments", doc]) + "\n")
    return path


@pytest.mark.timeout(120)
def test_the_ceiling_checks_each_document_as_the_backend_does(tmp_path: Path) -> None:
    ok = physical_ceiling(segment_docs(tmp_path / "ok.ndjson", "hello"))
    assert ok["documents"] == 1 and ok["transactions"] == 1
    # over Convex's 1 MiB per document: the backend refuses it, and so does the ceiling
    with pytest.raises(subprocess.CalledProcessError) as refused:
        physical_ceiling(segment_docs(tmp_path / "big.ndjson", "x" * (1024 * 1024 + 1)))
    assert "Value is too large" in refused.value.stderr
