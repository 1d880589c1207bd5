"""Live replication: Codex notifications → ingest events → sequenced, coalesced batches."""

from .events import EventMapper, item_events, split_text, turn_error
from .replicator import ReplicationError, Replicator

__all__ = ["EventMapper", "ReplicationError", "Replicator", "item_events", "split_text", "turn_error"]
