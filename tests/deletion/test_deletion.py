"""Deletion end to end over the deployment: the CLI's dry run, a deletion followed by subscription, purge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import anyio
import pytest

from codex_convex.convex_api import ConvexHttp, Subscriber
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import NotFound
from codex_convex.runtime import watch_deletion
from tests.conftest import Deployment
from tests.support import page_opts

pytestmark = pytest.mark.anyio


async def seeded(api: HostApi, thread: str) -> str:
    cid: str = (await api.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
    now = time.time() * 1000
    events = []
    for i in range(5):
        events += [{"type": "turnStarted", "threadId": thread, "turnId": f"t{i}", "at": now},
                   {"type": "item", "threadId": thread, "turnId": f"t{i}", "itemId": "m", "phase": "completed",
                    "itemType": "agentMessage", "part": 0, "partCount": 1,
                    "data": json.dumps({"type": "agentMessage", "id": "m", "text": f"answer {i}"}), "at": now}]
    await api.ingest_events(conversation_id=cid, stream_id="s", seq=0, events=events)
    return cid


def cli(deployment: Deployment, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "codex_convex", *args], env=env, capture_output=True, text=True,
                          timeout=120)


async def test_dry_run_then_delete_thread_via_cli(deployment: Deployment) -> None:
    token = deployment.token("deleter")
    thread = f"th-del-{time.time_ns()}"
    async with ConvexHttp(deployment.url, token=token) as http:
        api = HostApi(http)
        cid = await seeded(api, thread)
        dry = cli(deployment, token, "delete", thread, "--dry-run", "--json")
        assert dry.returncode == 0, dry.stderr
        counts = json.loads(dry.stdout)["counts"]
        assert counts["turns"] == 5 and counts["messages"] == 5 and counts["conversations"] == 1
        assert (await api.get_conversation(conversation_id=cid)).found  # a dry run deletes nothing
        done = cli(deployment, token, "delete", thread, "--json")
        assert done.returncode == 0, done.stderr
        job = json.loads(done.stdout)
        assert job["phase"] == "completed" and job["counts"]["turns"] == 5
        assert await api.get_conversation(conversation_id=cid) == NotFound()


async def test_scheduled_deletion_followed_by_subscription_and_cancel(deployment: Deployment) -> None:
    token = deployment.token("scheduler")
    thread = f"th-sched-{time.time_ns()}"
    async with ConvexHttp(deployment.url, token=token) as http:
        api = HostApi(http)
        cid = await seeded(api, thread)
        job = await api.schedule_delete_thread(thread_id=thread, delay_ms=60_000)
        assert job.phase == "scheduled"
        cancelled = await api.cancel_deletion(job_id=job.job_id)
        assert cancelled.phase == "cancelled"
        assert (await api.get_conversation(conversation_id=cid)).found
        job2 = await api.schedule_delete_thread(thread_id=thread, delay_ms=60_000)
        await api.force_run_deletion(job_id=job2.job_id)
        phases = []
        with anyio.fail_after(30):
            async for status in watch_deletion(Subscriber(deployment.url, token=token, http=http), job2.job_id):
                phases.append(status.phase)
        assert phases[-1] == "completed"
        assert await api.get_conversation(conversation_id=cid) == NotFound()


async def test_purge_requires_yes_and_removes_everything_of_the_user(deployment: Deployment) -> None:
    token = deployment.token("purged-user")
    async with ConvexHttp(deployment.url, token=token) as http:
        api = HostApi(http)
        await seeded(api, f"th-p1-{time.time_ns()}")
        await seeded(api, f"th-p2-{time.time_ns()}")
        refused = cli(deployment, token, "purge")
        assert refused.returncode == 2
        done = cli(deployment, token, "purge", "--yes", "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["phase"] == "completed"
        page = await api.list_conversations(include_archived=True, pagination_opts=page_opts(None, 10))
        assert page.page == []
