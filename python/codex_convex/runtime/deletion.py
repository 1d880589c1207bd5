"""Following a deletion job: ``watch_deletion`` yields its status (phase, per-table counts) from a subscription
to ``getDeletionStatus`` until it is finished."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..convex_api import Subscriber

FINISHED = frozenset({"completed", "cancelled", "failed"})


async def watch_deletion(subscriber: Subscriber, job_id: str) -> AsyncIterator[dict[str, Any]]:
    """Every change of the job's status; ends after a finished phase (or when the job row is gone, as a purge's
    own status row is after its retention)."""
    async for got in subscriber.watch("chat:getDeletionStatus", {"jobId": job_id}):
        if not got["found"]:
            return
        yield got["job"]
        if got["job"]["phase"] in FINISHED:
            return
