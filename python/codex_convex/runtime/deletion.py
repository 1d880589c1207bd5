"""Following a deletion job: ``watch_deletion`` yields its status (phase, per-table counts) from a subscription
to ``getDeletionStatus`` until it is finished."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..convex_api import Subscriber
from ..host_api import HostSubscriptions
from ..host_api.models import DeletionJob, NotFound

FINISHED = frozenset({"completed", "cancelled", "failed"})


async def watch_deletion(subscriber: Subscriber, job_id: str) -> AsyncIterator[DeletionJob]:
    """Every change of the job's status; ends after a finished phase (or when the job row is gone, as a purge's
    own status row is after its retention)."""
    async for got in HostSubscriptions(subscriber).get_deletion_status(job_id=job_id):
        if isinstance(got, NotFound):
            return
        yield got.job
        if got.job.phase in FINISHED:
            return
