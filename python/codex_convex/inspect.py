"""Notebook inspection: pandas DataFrames of sync jobs, sync sources, conversations and deletion jobs (typed
columns, timestamps as UTC datetimes), and a live view driven by a job's subscription.

    from codex_convex import inspect
    jobs = inspect.sync_jobs()                 # CONVEX_URL + CONVEX_TOKEN, else the local backend
    jobs.plot.barh(x="threadId", y="duration_s")

pandas is imported here only, so the rest of the package never pays for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pandas as pd

from .convex_api import ConvexHttp, Subscriber
from .host_api import HostApi, HostSubscriptions, Page
from .host_api.models import NotFound, PaginationOpts
from .host_api.reads import all_pages

__all__ = ["conversations", "deletion_jobs", "sync_jobs", "sync_sources", "watch_job"]

_TIMES = ("createdAt", "updatedAt", "startedAt", "finishedAt", "sealedAt", "expiresAt", "runAt")
_INTS = ("totalChunks", "totalRecords", "totalBytes", "processedChunks", "processedRecords", "verifiedRecords",
         "attempts", "maxStepBytesRead", "deleted")


def _connection(url: str | None, token: str | None) -> tuple[str, str]:
    if url and token:
        return url, token
    from .deployment import resolve_deployment

    dep = resolve_deployment()
    return url or dep.url, token or dep.token


def _opts(cursor: str | None) -> PaginationOpts:
    return PaginationOpts(num_items=100, cursor=cursor)


async def _all_pages(url: str, token: str, call: Callable[[HostApi, str | None], Awaitable[Page[Any]]],
                     limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of a paginated query, each as its wire JSON (camelCase keys: the DataFrame columns)."""
    rows: list[dict[str, Any]] = []
    async with ConvexHttp(url, token=token) as http:
        api = HostApi(http)
        if limit > 0:
            async for r in all_pages(lambda cursor: call(api, cursor)):
                rows.append(r.model_dump(by_alias=True))
                if len(rows) >= limit:
                    break  # before asking for another page
    return rows


def _frame(rows: list[dict[str, Any]], columns: list[str], categories: tuple[str, ...] = ()) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c in _TIMES:
            df[c] = pd.to_datetime(df[c], unit="ms", utc=True)
        elif c in _INTS:
            df[c] = pd.array(df[c], dtype="Int64")
        elif c in categories:
            df[c] = df[c].astype("category")
        elif df[c].dtype == object:
            df[c] = df[c].astype("string")
    return df


def _run(fn: Callable[[], Awaitable[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    """Run the fetch to completion, also from a notebook (whose event loop is already running: a worker thread
    gets its own loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(fn)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, fn).result()


JOB_COLUMNS = ["jobId", "conversationId", "sourceId", "state", "publicState", "totalChunks", "totalRecords",
               "totalBytes", "processedChunks", "processedRecords", "verifiedRecords", "attempts", "maxStepBytesRead",
               "errorCode", "errorMessage", "createdAt", "startedAt", "finishedAt", "duration_s", "threadId"]


def sync_jobs(url: str | None = None, token: str | None = None, *, conversation_id: str | None = None,
              limit: int = 1000) -> pd.DataFrame:
    """One row per sync job (newest first) with its thread, state, counts, error and duration in seconds."""
    u, t = _connection(url, token)

    async def fetch() -> list[dict[str, Any]]:
        jobs = await _all_pages(u, t, lambda api, c: api.list_conversation_sync_jobs(
            conversation_id=conversation_id, pagination_opts=_opts(c)), limit)
        sources = {s["sourceId"]: s for s in await _all_pages(u, t, lambda api, c: api.list_conversation_sync_sources(
            pagination_opts=_opts(c)), 10 * limit)}
        for j in jobs:
            err = j.pop("lastError") or {}
            j["errorCode"], j["errorMessage"] = err.get("code"), err.get("message")
            j["threadId"] = sources.get(j["sourceId"], {}).get("threadId")
            end = j["finishedAt"] or j["updatedAt"]
            j["duration_s"] = (end - j["createdAt"]) / 1000.0
        return jobs

    df = _frame(_run(fetch), JOB_COLUMNS, ("state", "publicState"))
    df["duration_s"] = df["duration_s"].astype("float64")
    return df


def sync_sources(url: str | None = None, token: str | None = None, *, limit: int = 1000) -> pd.DataFrame:
    u, t = _connection(url, token)

    async def fetch() -> list[dict[str, Any]]:
        rows = await _all_pages(u, t, lambda api, c: api.list_conversation_sync_sources(
            pagination_opts=_opts(c)), limit)
        for r in rows:
            r["errorCode"] = (r.pop("error") or {}).get("code")
        return rows

    return _frame(_run(fetch), ["sourceId", "conversationId", "threadId", "state", "totalChunks", "totalRecords",
                                "totalBytes", "jobId", "errorCode", "createdAt", "sealedAt", "expiresAt"], ("state",))


def conversations(url: str | None = None, token: str | None = None, *, include_archived: bool = True,
                  limit: int = 1000) -> pd.DataFrame:
    u, t = _connection(url, token)

    async def fetch() -> list[dict[str, Any]]:
        return await _all_pages(u, t, lambda api, c: api.list_conversations(
            include_archived=include_archived, pagination_opts=_opts(c)), limit)

    return _frame(_run(fetch), ["conversationId", "title", "status", "threadId", "syncState", "activeSyncJobId",
                                "createdAt", "updatedAt"], ("status", "syncState"))


def deletion_jobs(url: str | None = None, token: str | None = None, *, limit: int = 1000) -> pd.DataFrame:
    u, t = _connection(url, token)

    async def fetch() -> list[dict[str, Any]]:
        rows = await _all_pages(u, t, lambda api, c: api.list_deletion_jobs(
            pagination_opts=_opts(c)), limit)
        for r in rows:
            target = r.pop("target")
            r["kind"], r["threadId"], r["turnId"] = target["kind"], target.get("threadId"), target.get("turnId")
            r["errorCode"] = (r.pop("error") or {}).get("code")
        return rows

    return _frame(_run(fetch), ["jobId", "kind", "threadId", "turnId", "phase", "deleted", "errorCode", "runAt",
                                "createdAt", "finishedAt"], ("kind", "phase"))


async def watch_job(job_id: str, url: str | None = None, token: str | None = None) -> AsyncIterator[pd.DataFrame]:
    """A one-row DataFrame each time the job changes (subscription), until it is terminal. In a notebook:
    ``async for df in inspect.watch_job(job_id): display(df, clear=True)``."""
    u, t = _connection(url, token)
    subscriber = Subscriber(u, token=t)  # no `async with`: a generator must not yield inside a task group
    try:
        async for df in _job_frames(HostSubscriptions(subscriber), job_id):
            yield df
    finally:
        subscriber.close()


async def _job_frames(subs: HostSubscriptions, job_id: str) -> AsyncIterator[pd.DataFrame]:
    async for got in subs.get_conversation_sync_job(job_id=job_id):
        if isinstance(got, NotFound):
            return
        job = got.job.model_dump(by_alias=True)
        err = job.pop("lastError") or {}
        job["errorCode"], job["errorMessage"], job["threadId"] = err.get("code"), err.get("message"), None
        job["duration_s"] = ((job["finishedAt"] or job["updatedAt"]) - job["createdAt"]) / 1000.0
        yield _frame([job], JOB_COLUMNS, ("state", "publicState"))
        if job["publicState"] != "syncing":
            return
