"""Importing local Codex threads through durable sync sources: records, chunks, the resumable importer."""

from .chunker import CHUNK_MAX_BYTES, Chunk, RecordTooLargeError, chunk_records, root_hash
from .importer import ImportResult, SyncFailedError, import_thread
from .records import split_utf8, thread_records

__all__ = [
    "CHUNK_MAX_BYTES",
    "Chunk",
    "ImportResult",
    "RecordTooLargeError",
    "SyncFailedError",
    "chunk_records",
    "import_thread",
    "root_hash",
    "split_utf8",
    "thread_records",
]
