"""Importing local Codex threads through durable sync sources: records, chunks, the resumable importer."""

from .chunker import Chunk, RecordTooLargeError, chunk_records, root_hash
from .importer import ImportResult, SyncFailedError, import_thread
from .records import thread_records

__all__ = [
    "Chunk",
    "ImportResult",
    "RecordTooLargeError",
    "SyncFailedError",
    "chunk_records",
    "import_thread",
    "root_hash",
    "thread_records",
]
