"""``backend export`` / ``backend import``: a deployment's documents as a ZIP in the layout ``npx convex
import`` reads (``<table>/documents.jsonl`` for the app, ``_components/<name>/<table>/documents.jsonl`` for a
component; values in Convex JSON), so data can move from the local backend to a real deployment."""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..convex_api import raw
from ..errors import CodexConvexError


def _member(component: str, table: str) -> str:
    return f"{table}/documents.jsonl" if component == "" else f"_components/{component}/{table}/documents.jsonl"


def export_zip(url: str, admin_key: str, out: Path) -> dict[str, int]:
    """Write every user document of the deployment to ``out``; returns rows per table."""
    by_member: dict[str, list[str]] = defaultdict(list)
    for line in raw.stream_lines(f"{url}/api/export", headers={"Authorization": f"Convex {admin_key}"}):
        if isinstance(line, raw.RawResponse):
            raise CodexConvexError(f"export refused: HTTP {line.status} {line.text[:300]!r}", code="E_BACKEND_EXPORT")
        component, table, doc = json.loads(line)
        by_member[_member(component, table)].append(json.dumps(doc, separators=(",", ":")))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for member, rows in sorted(by_member.items()):
            z.writestr(member, "\n".join(rows) + "\n")
    return {m.removesuffix("/documents.jsonl"): len(rows) for m, rows in by_member.items()}


def import_zip(url: str, admin_key: str, src: Path) -> int:
    """Load an export into an empty deployment (ids kept). :raises CodexConvexError: when refused."""
    body = io.StringIO()
    with zipfile.ZipFile(src) as z:
        for name in z.namelist():
            if not name.endswith("/documents.jsonl"):
                continue
            parts = name.split("/")
            component, table = (parts[1], parts[2]) if parts[0] == "_components" else ("", parts[0])
            for line in z.read(name).decode().splitlines():
                if line:
                    doc: Any = json.loads(line)
                    body.write(json.dumps([component, table, doc], separators=(",", ":")) + "\n")
    r = raw.post_sync(f"{url}/api/import", body.getvalue().encode(), headers={"Authorization": f"Convex {admin_key}"})
    if r.status != 200:
        raise CodexConvexError(f"import refused: {r.json().get('message', r.text)}", code="E_BACKEND_IMPORT")
    return int(r.json()["imported"])
