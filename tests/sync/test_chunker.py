"""The chunker, the record builder and the one text splitter: byte caps, no split records, determinism, character
boundaries (hypothesis)."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from codex_convex.errors import CodexConvexError
from codex_convex.events import PART_MAX_BYTES, split_text, utf16_len
from codex_convex.host_api.models import IngestEventItem, IngestEventLifecycle, IngestEventTurnCompleted, TurnError
from codex_convex.sync import RecordTooLargeError, chunk_records, root_hash, thread_records

records_st = st.lists(st.builds(lambda kind, message, at: IngestEventLifecycle(kind=kind, message=message, at=at),
                                st.text(max_size=8), st.text(max_size=3000), st.integers(0, 2**40)), max_size=60)


@settings(max_examples=80, deadline=None)
@given(records_st, st.integers(min_value=4096, max_value=20000))
def test_chunks_are_capped_and_rejoin_to_the_records(records: list[IngestEventLifecycle], cap: int) -> None:
    try:
        chunks = list(chunk_records(records, max_bytes=cap))
    except RecordTooLargeError:
        assert any(len(r.model_dump_json(by_alias=True).encode()) + 2 > cap for r in records)
        return
    assert all(c.byte_count <= cap and c.byte_count == len(c.payload.encode()) for c in chunks)
    assert [r for c in chunks for r in json.loads(c.payload)] == [r.wire() for r in records]
    assert [c.index for c in chunks] == list(range(len(chunks)))
    again = list(chunk_records(records, max_bytes=cap))
    assert root_hash(c.sha256 for c in again) == root_hash(c.sha256 for c in chunks)


def test_a_record_too_large_is_a_coded_error() -> None:
    big = IngestEventLifecycle(kind="k", message="x" * 5000, at=1)
    try:
        list(chunk_records([big], max_bytes=4096))
    except CodexConvexError as exc:  # one tree: `except CodexConvexError` catches it
        assert exc.code == "E_SYNC_RECORD_TOO_LARGE"
    else:
        raise AssertionError("no error")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000), st.integers(min_value=2, max_value=64), st.none() | st.integers(4, 64))
def test_split_text_keeps_every_character_within_both_limits(text: str, units: int, max_bytes: int | None) -> None:
    parts = split_text(text, units, max_bytes=max_bytes)
    assert "".join(parts) == text
    assert all(utf16_len(p) <= units and (max_bytes is None or len(p.encode()) <= max_bytes) for p in parts)
    # greedy: no piece could have taken the next piece's first character
    for p, nxt in itertools.pairwise(parts):
        longer = p + nxt[0]
        assert utf16_len(longer) > units or (max_bytes is not None and len(longer.encode()) > max_bytes)
    assert parts == [""] if not text else all(parts)


def test_split_text_never_splits_a_surrogate_pair() -> None:
    assert split_text("a😀b", 2) == ["a", "😀", "b"]
    assert split_text("😀😀", 3) == ["😀", "😀"]


def test_big_item_is_split_into_parts_that_fit_chunks() -> None:
    thread = {"id": "th", "turns": [{"id": "t1", "status": "completed", "startedAt": 1, "completedAt": 2, "items": [
        {"type": "commandExecution", "id": "c1", "aggregatedOutput": "é" * 400_000, "status": "completed"}]}]}
    recs = list(thread_records(thread))
    parts = [r for r in recs if isinstance(r, IngestEventItem)]
    assert len(parts) > 1 and all(len(p.data.encode()) <= PART_MAX_BYTES for p in parts)
    assert json.loads("".join(p.data for p in parts))["aggregatedOutput"] == "é" * 400_000
    chunks = list(chunk_records(recs))
    assert all(c.byte_count <= 512 * 1024 for c in chunks)


def test_records_are_deterministic() -> None:
    thread = {"id": "th", "preview": "p", "turns": [{"id": "t", "status": "failed", "startedAt": 5,
                                                     "error": {"message": "boom", "codexErrorInfo": "other"},
                                                     "items": []}]}
    assert list(thread_records(thread)) == list(thread_records(thread))
    done = list(thread_records(thread))[-1]
    assert isinstance(done, IngestEventTurnCompleted)
    assert done.error == TurnError(message="boom", codex_error_info="other")
    assert done.wire()["error"] == {"message": "boom", "codexErrorInfo": "other"}
