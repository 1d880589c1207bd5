"""The chunker and record builder: byte caps, no split records, determinism, UTF-8 boundaries (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from codex_convex.sync import chunk_records, root_hash, split_utf8, thread_records
from codex_convex.sync.chunker import RecordTooLargeError
from codex_convex.sync.records import PART_MAX_BYTES

records_st = st.lists(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=3000), max_size=4),
                      max_size=60)


@settings(max_examples=80, deadline=None)
@given(records_st, st.integers(min_value=4096, max_value=20000))
def test_chunks_are_capped_and_rejoin_to_the_records(records: list[dict[str, str]], cap: int) -> None:
    try:
        chunks = list(chunk_records(records, max_bytes=cap))
    except RecordTooLargeError:
        assert any(len(json.dumps(r, ensure_ascii=False).encode()) + 2 > cap for r in records)
        return
    assert all(c.byte_count <= cap and c.byte_count == len(c.payload.encode()) for c in chunks)
    assert [r for c in chunks for r in json.loads(c.payload)] == records
    assert [c.index for c in chunks] == list(range(len(chunks)))
    again = list(chunk_records(records, max_bytes=cap))
    assert root_hash(c.sha256 for c in again) == root_hash(c.sha256 for c in chunks)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), st.integers(min_value=4, max_value=64))
def test_split_utf8_never_breaks_a_character(text: str, cap: int) -> None:
    parts = split_utf8(text, cap)
    assert "".join(parts) == text
    assert all(len(p.encode()) <= cap for p in parts)


def test_big_item_is_split_into_parts_that_fit_chunks() -> None:
    thread = {"id": "th", "turns": [{"id": "t1", "status": "completed", "startedAt": 1, "completedAt": 2, "items": [
        {"type": "commandExecution", "id": "c1", "aggregatedOutput": "é" * 400_000, "status": "completed"}]}]}
    recs = list(thread_records(thread))
    parts = [r for r in recs if r["type"] == "item"]
    assert len(parts) > 1 and all(len(p["data"].encode()) <= PART_MAX_BYTES for p in parts)
    assert json.loads("".join(p["data"] for p in parts))["aggregatedOutput"] == "é" * 400_000
    chunks = list(chunk_records(recs))
    assert all(c.byte_count <= 512 * 1024 for c in chunks)


def test_records_are_deterministic() -> None:
    thread = {"id": "th", "preview": "p", "turns": [{"id": "t", "status": "failed", "startedAt": 5,
                                                     "error": {"message": "boom", "codexErrorInfo": "other"},
                                                     "items": []}]}
    assert list(thread_records(thread)) == list(thread_records(thread))
    done = list(thread_records(thread))[-1]
    assert done["error"] == {"message": "boom", "codexErrorInfo": "other"}
