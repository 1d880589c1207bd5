"""Live replication: Codex notifications → ingest events → sequenced, coalesced batches."""

from .events import EventMapper
from .replicator import Coalescing, ReplicationError, Replicator

__all__ = ["Coalescing", "EventMapper", "ReplicationError", "Replicator"]
