"""The local backend's storage layout: documents in a rowid table with a separate id index (layout 2). A data folder
written by an older backend (layout 1: documents inline in a ``WITHOUT ROWID`` key) is moved to layout 2 when the
backend opens it, in one transaction, and every document reads back the same."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from tests.support import page_opts

pytestmark = [pytest.mark.anyio, pytest.mark.backend]

LAYOUT1 = """
ALTER TABLE documents RENAME TO documents_now;
DROP INDEX documents_id;
CREATE TABLE documents (comp TEXT NOT NULL, tbl TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (comp, tbl, id)) WITHOUT ROWID;
INSERT INTO documents SELECT comp, tbl, id, doc FROM documents_now;
DROP TABLE documents_now;
PRAGMA user_version = 0;
"""


def layout(db: Path) -> tuple[str, int]:
    with sqlite3.connect(db) as c:
        sql = c.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'").fetchone()[0]
        return sql, c.execute("PRAGMA user_version").fetchone()[0]


async def snapshot(api: HostApi) -> list[tuple[str, str | None, str]]:
    page = await api.list_conversations(include_archived=True, pagination_opts=page_opts())
    return sorted((c.conversation_id, c.title, c.status) for c in page.page)


async def test_a_layout1_data_folder_is_migrated_and_reads_back_the_same(tmp_path: Path) -> None:
    data = tmp_path / "backend"
    db = data / "db" / "data.sqlite3"
    with LocalBackend(data) as backend:
        token = mint_dev_token(data, "alice")
        async with ConvexHttp(backend.url, token=token) as http:
            api = HostApi(http)
            for i in range(30):
                await api.new_conversation(title=f"conversation {i} " + "x" * 400)
            archived = (await api.new_conversation(title="old")).conversation_id
            await api.archive_conversation(conversation_id=archived)
            before = await snapshot(api)
    sql, version = layout(db)
    assert "WITHOUT ROWID" not in sql and version == 2  # a new folder starts in layout 2
    with sqlite3.connect(db) as c:
        c.executescript(LAYOUT1)
    assert "WITHOUT ROWID" in layout(db)[0]

    with LocalBackend(data) as backend:
        sql, version = layout(db)
        assert "WITHOUT ROWID" not in sql and version == 2
        assert '"store.migrated"' in backend.log_file.read_text()
        async with ConvexHttp(backend.url, token=mint_dev_token(data, "alice")) as http:
            api = HostApi(http)
            assert await snapshot(api) == before
            # and it keeps working: an update of a migrated document, a new one; both survive a restart
            await api.unarchive_conversation(conversation_id=archived)
            await api.new_conversation(title="after")
            after = await snapshot(api)
    assert len(after) == len(before) + 1
    with LocalBackend(data) as backend:
        async with ConvexHttp(backend.url, token=mint_dev_token(data, "alice")) as http:
            assert await snapshot(HostApi(http)) == after
        assert backend.log_file.read_text().count('"store.migrated"') == 1  # once
