"""Documents against the component's schema, where Convex checks them: an import (``npx convex import``) and every
stored document when the schema changes (a deploy; here, a newer package over an existing data folder)."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import httpx
import pytest

from codex_convex.backend import LocalBackend
from codex_convex.backend.transfer import export_zip
from codex_convex.errors import CodexConvexError

EVENT = {"_id": "10001lifecycle_events", "_creationTime": 1.0, "actor": "a", "conversationId": "10009conversations",
         "kind": "k", "message": "m", "at": 0.0}


def _import(backend: LocalBackend, rows: list[dict[str, object]]) -> httpx.Response:
    assert backend.info is not None
    body = "\n".join(json.dumps(["codexConvex", "lifecycle_events", r]) for r in rows) + "\n"
    return httpx.post(f"{backend.url}/api/import", content=body,
                      headers={"Authorization": f"Convex {backend.info.admin_key}"})


@pytest.mark.parametrize(("bad", "why"), [
    ({"message": 7}, "Value does not match validator.\nPath: .message\nValue: 7.0\nValidator: v.string()"),
    ({"conversationId": "10009threads"}, 'Expected ID for table "conversations"'),  # an id of another table
    ({"unknownField": "x"}, "Object contains extra field `unknownField` that is not in the validator."),
])
def test_an_import_the_schema_refuses_is_refused_whole(tmp_path: Path, bad: dict[str, object], why: str) -> None:
    with LocalBackend(tmp_path / "b") as backend:
        assert backend.info is not None
        r = _import(backend, [EVENT, {**EVENT, "_id": "10002lifecycle_events", **bad}])
        assert r.status_code == 409
        message = r.json()["message"]
        assert message.startswith('Schema validation failed.\nDocument with ID "10002lifecycle_events" in table '
                                  '"lifecycle_events" does not match the schema: ')  # Convex's words
        assert why in message
        export_zip(backend.url, backend.info.admin_key, tmp_path / "after.zip")
        with zipfile.ZipFile(tmp_path / "after.zip") as z:
            assert z.namelist() == []  # the valid row before it was not written either


def test_stored_documents_the_new_schema_refuses_stop_the_start(tmp_path: Path) -> None:
    data = tmp_path / "b"
    with LocalBackend(data) as backend:
        assert _import(backend, [EVENT]).status_code == 200
    db = sqlite3.connect(data / "db" / "data.sqlite3")
    [fingerprint] = db.execute("SELECT fingerprint FROM schemas WHERE comp = 'codexConvex'").fetchone()
    assert "lifecycle_events" in fingerprint  # checked against this schema once, at the first start
    # What an upgrade over this folder looks like: documents a previous schema accepted (one the new schema refuses),
    # checked against another schema than the package's.
    stale = {**EVENT, "message": None}
    with db:
        db.execute("UPDATE documents SET doc = ? WHERE id = ?", (json.dumps(stale), EVENT["_id"]))
        db.execute("UPDATE schemas SET fingerprint = 'an older schema' WHERE comp = 'codexConvex'")
    db.close()
    with pytest.raises(CodexConvexError) as refused:
        LocalBackend(data).start()
    assert refused.value.code == "E_BACKEND_START"
    why = str(refused.value)
    assert f'Document with ID "{EVENT["_id"]}" in table "lifecycle_events" does not match the schema' in why
    assert "Value does not match validator.\nPath: .message" in why
    assert "    at " not in why  # the backend's reason, not its stack
    with sqlite3.connect(data / "db" / "data.sqlite3") as db:  # the document made valid again: the backend starts
        db.execute("UPDATE documents SET doc = ? WHERE id = ?", (json.dumps(EVENT), EVENT["_id"]))
    with LocalBackend(data) as backend:
        assert backend.info is not None
        lines = httpx.get(f"{backend.url}/api/export",
                          headers={"Authorization": f"Convex {backend.info.admin_key}"}).text.splitlines()
        assert [json.loads(x)[2]["message"] for x in lines] == ["m"]
