"""Records → chunks: the exact UTF-8 JSON array of consecutive records, at most :data:`CHUNK_MAX_BYTES`, each
with its SHA-256; the root hash is SHA-256 over the chunk hashes (hex) in order (DESIGN §4)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..errors import CodexConvexError
from ..host_api.limits import CHUNK_MAX_BYTES, MAX_RECORDS_PER_CHUNK
from ..host_api.models import IngestEvent


class RecordTooLargeError(CodexConvexError):
    code = "E_SYNC_RECORD_TOO_LARGE"


@dataclass(frozen=True)
class Chunk:
    index: int
    payload: str
    sha256: str
    record_count: int
    byte_count: int


def _chunk(index: int, encoded: list[bytes]) -> Chunk:
    payload_bytes = b"[" + b",".join(encoded) + b"]"
    return Chunk(index, payload_bytes.decode("utf-8"), hashlib.sha256(payload_bytes).hexdigest(), len(encoded),
                 len(payload_bytes))


def chunk_records(records: Iterable[IngestEvent], *, max_bytes: int = CHUNK_MAX_BYTES) -> Iterator[Chunk]:
    """Pack records greedily into chunks; a chunk never splits a record and never exceeds ``max_bytes``."""
    buf: list[bytes] = []
    size = 2  # the brackets
    index = 0
    for rec in records:
        enc = rec.model_dump_json(by_alias=True).encode("utf-8")
        if len(enc) + 2 > max_bytes:
            raise RecordTooLargeError(f"a record of {len(enc)} bytes cannot fit a {max_bytes}-byte chunk")
        extra = len(enc) + (1 if buf else 0)
        if buf and (size + extra > max_bytes or len(buf) >= MAX_RECORDS_PER_CHUNK):
            yield _chunk(index, buf)
            index += 1
            buf, size, extra = [], 2, len(enc)
        buf.append(enc)
        size += extra
    if buf:
        yield _chunk(index, buf)


def root_hash(chunk_hashes: Iterable[str]) -> str:
    return hashlib.sha256("".join(chunk_hashes).encode("ascii")).hexdigest()
