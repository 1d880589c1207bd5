"""What a real Convex deployment does that a friendly backend would not: tokens that expire on an open socket, and a
scheduler that runs job steps late. Real Codex, the scripted model, the local backend (which, like Convex, closes a
WebSocket whose token expired and refuses HTTP calls with an expired token)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from codex_convex.runtime import CodexHost, HostConfig
from tests.conftest import Deployment
from tests.support import codex_messages, conversation_messages, persisted_messages
from tests.sync.test_import_e2e import codex_thread_hash, make_local_thread, persisted_thread_hash

pytestmark = [pytest.mark.anyio, pytest.mark.codex, pytest.mark.faults]

TOKEN_TTL_S = 5


class ShortTokens:
    """A token provider minting 5-second dev tokens, counting how often it is asked."""

    def __init__(self, data_dir: Path, subject: str) -> None:
        self.data_dir, self.subject, self.fetched = data_dir, subject, 0

    async def __call__(self) -> str:
        self.fetched += 1
        return mint_dev_token(self.data_dir, self.subject, ttl_s=TOKEN_TTL_S)


@pytest.mark.timeout(180)
async def test_a_30_second_turn_on_5_second_tokens_loses_nothing(host_config: HostConfig, deployment: Deployment,
                                                                alice_api: HostApi) -> None:
    if deployment.local is None:
        pytest.skip("minting short tokens needs the local backend's dev issuer")
    tokens = ShortTokens(deployment.local.data_dir, "alice")
    cfg = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, convex_url=deployment.url,
                     token=tokens, rpc_timeout_s=30, turn_timeout_s=120)
    seen: list[str] = []
    final: dict[str, str] = {}
    caught_up = anyio.Event()
    started = time.monotonic()
    async with CodexHost(cfg) as host, anyio.create_task_group() as tg:
        cid = await host.new_conversation()

        async def watch() -> None:  # the host's own subscription must outlive every token it started with
            async for snap in host.watch_conversation():
                texts = [m.text for m in snap.messages if m.role == "assistant"]
                if texts:
                    seen.append(texts[-1])
                    if final.get("text") == texts[-1]:
                        caught_up.set()

        tg.start_soon(watch)
        result = await host.send("SLOW 30")
        final["text"] = result.text
        thread: dict[str, Any] = (await host.read_thread())["thread"]
        if seen and seen[-1] == result.text:
            caught_up.set()
        with anyio.fail_after(20):  # the subscription delivers the final text, several tokens after it began
            await caught_up.wait()
        tg.cancel_scope.cancel()
    assert time.monotonic() - started > 6 * TOKEN_TTL_S
    assert result.status == "completed", result.error
    assert conversation_messages(await persisted_messages(alice_api, cid)) == codex_messages(thread)
    assert tokens.fetched >= 6  # renewed before each expiry, all through the turn


@pytest.mark.timeout(300)
async def test_import_and_deletion_under_scheduler_lag_and_5_second_tokens(host_config: HostConfig,
                                                                          tmp_path: Path) -> None:
    thread = await make_local_thread(host_config)
    data = tmp_path / "lagging-backend"
    # Every scheduled job step runs 16-20 s late (as Convex's scheduler may under load): the import (one step, it
    # verifies as it applies) takes longer than three 5-second tokens.
    with LocalBackend(data, scheduler_lag_ms=(16000, 20000)) as backend:
        tokens = ShortTokens(data, "alice")
        cfg = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, convex_url=backend.url,
                         token=tokens, rpc_timeout_s=30, turn_timeout_s=120)
        started = time.monotonic()
        async with CodexHost(cfg) as host:
            result = await host.import_local_thread(thread["id"])
            imported_in = time.monotonic() - started
            assert result.state == "synced", result.error
            async with ConvexHttp(backend.url, token=tokens) as http:
                api = HostApi(http)
                assert await persisted_thread_hash(api, thread) == codex_thread_hash(thread)
                job = await api.get_conversation_sync_job(job_id=result.job_id)
                assert job.found and job.job.attempts == 0  # late steps spent no attempt
                deletion = await host.delete_thread(thread["id"])
                with anyio.fail_after(120):
                    async for status in host.watch_deletion(deletion.job_id):
                        if status.phase in ("completed", "failed"):
                            break
                assert status.phase == "completed", status
                assert (await api.get_turn(thread_id=thread["id"], turn_id=thread["turns"][0]["id"])).found is False
    assert imported_in > 3 * TOKEN_TTL_S  # the import outlived several tokens
    assert tokens.fetched >= 4
