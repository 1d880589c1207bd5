"""Live replication: Codex notifications → ingest events → sequenced, coalesced batches."""

from .events import EventMapper
from .replicator import ReplicationError, Replicator

__all__ = ["EventMapper", "ReplicationError", "Replicator"]
