"""Moving from the embedded backend to a real deployment (README, "Move to your deployment"): the threads live in
CODEX_HOME, so `codex-convex sync --all` against the target re-imports them there, under the target's user.
The embedded backend is the CLI's own (CODEX_CONVEX_HOME); the target is a second backend reached only through
CONVEX_URL and CONVEX_TOKEN_COMMAND, as a real deployment would be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from codex_convex.runtime import HostConfig
from tests.support import codex_messages, conversation_messages, persisted_messages
from tests.sync.test_import_e2e import make_local_thread

pytestmark = [pytest.mark.anyio, pytest.mark.codex]
CLI = [sys.executable, "-m", "codex_convex"]


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.timeout(400)
async def test_sync_all_re_imports_every_thread_into_the_target_deployment(host_config: HostConfig,
                                                                           tmp_path: Path) -> None:
    thread = await make_local_thread(host_config)
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONVEX_")}
    base |= {"CODEX_HOME": str(host_config.codex_home), "CODEX_CONVEX_HOME": str(tmp_path / "embedded")}
    try:
        embedded = cli(["sync", "--all", "--json"], base)  # the embedded default: started on first use
        assert embedded.returncode == 0, embedded.stderr[-2000:]
        assert [r["state"] for r in json.loads(embedded.stdout)] == ["synced"]
        with LocalBackend(tmp_path / "target") as target:
            token_command = (f"{sys.executable} -m codex_convex dev-token --subject bob "
                             f"--data {tmp_path / 'target'}")
            moved = cli(["sync", "--all", "--json"], {**base, "CONVEX_URL": target.url,
                                                      "CONVEX_TOKEN_COMMAND": token_command})
            assert moved.returncode == 0, moved.stderr[-2000:]
            result = json.loads(moved.stdout)[0]
            assert result["state"] == "synced" and result["thread_id"] == thread["id"]
            async with ConvexHttp(target.url, token=mint_dev_token(tmp_path / "target", "bob")) as http:
                stored = await persisted_messages(HostApi(http), result["conversation_id"])
            assert conversation_messages(stored) == codex_messages(thread)
    finally:
        cli(["backend", "stop"], base)
