"""Start, stop, restart: the official client reconnects and its subscription resumes."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from codex_convex.backend import LocalBackend, backend_status, mint_dev_token
from codex_convex.cli import app
from codex_convex.convex_api import ConvexHttp, Subscriber

pytestmark = pytest.mark.anyio


async def test_subscription_survives_a_backend_restart(tmp_path: Path) -> None:
    first = LocalBackend(tmp_path)
    info = first.start()
    port = int(info.url.rsplit(":", 1)[1])
    token = mint_dev_token(tmp_path, "alice")
    watcher = Subscriber(info.url, token=token)
    seen: list[object] = []
    try:
        with anyio.fail_after(60):
            async for value in watcher.watch("diagnostics:getPing", {"nonce": "after-restart"}):
                seen.append(None if value is None else value["state"])
                if value is None and len(seen) == 1:
                    first.stop()
                    second = LocalBackend(tmp_path, port=port)
                    second.start()
                    async with ConvexHttp(info.url, token=token) as http:
                        await http.mutation("diagnostics:ping", {"nonce": "after-restart", "delayMs": 0})
                if value is not None and value["state"] == "done":
                    break
    finally:
        first.stop()
        if "second" in locals():
            second.stop()
    assert seen[0] is None and seen[-1] == "done"


def test_cli_start_status_stop_and_dev_token(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"
    started = runner.invoke(app, ["backend", "start", "--port", "0", "--data", str(data), "--json"])
    assert started.exit_code == 0, started.output
    url = json.loads(started.stdout)["url"]
    try:
        status = runner.invoke(app, ["backend", "status", "--data", str(data), "--json"])
        assert status.exit_code == 0 and json.loads(status.stdout)["url"] == url
        token = runner.invoke(app, ["dev-token", "--subject", "carol", "--data", str(data)])
        assert token.exit_code == 0
        import httpx
        r = httpx.post(f"{url}/api/query", json={"path": "diagnostics:whoami", "args": {}},
                       headers={"Authorization": f"Bearer {token.stdout.strip()}"})
        assert r.json()["value"]["subject"] == "carol"
    finally:
        stopped = runner.invoke(app, ["backend", "stop", "--data", str(data)])
    assert stopped.exit_code == 0
    assert backend_status(data) is None
    again = runner.invoke(app, ["backend", "status", "--data", str(data)])
    assert again.exit_code == 1


def test_a_backend_of_another_build_is_restarted_with_its_data(tmp_path: Path) -> None:
    """After an upgrade, the embedded backend still running serves the old functions: the next command stops it and
    starts the installed one (same data), instead of feeding it events it does not know."""
    from codex_convex.backend import stop_backend
    from codex_convex.deployment import resolve_deployment

    data = tmp_path / "backend"
    old = resolve_deployment(data)
    state = data / "backend.json"
    recorded = json.loads(state.read_text())
    try:
        import httpx
        made = httpx.post(f"{old.url}/api/mutation", json={"path": "chat:newConversation", "args": {"title": "kept"}},
                          headers={"Authorization": f"Bearer {old.token}"}).json()["value"]
        assert resolve_deployment(data).url == old.url  # the same build: reused
        state.write_text(json.dumps({**recorded, "bundle": "0" * 64}))  # as if started by another build
        new = resolve_deployment(data)
        assert json.loads(state.read_text())["pid"] != recorded["pid"]
        got = httpx.post(f"{new.url}/api/query", json={"path": "chat:getConversation",
                                                       "args": {"conversationId": made["conversationId"]}},
                         headers={"Authorization": f"Bearer {new.token}"}).json()["value"]
        assert got["conversation"]["title"] == "kept"  # its data stayed
    finally:
        stop_backend(data)
    # one a process owns (a test's, an app's LocalBackend) is never stopped by another command
    with LocalBackend(tmp_path / "owned") as owned:
        state = tmp_path / "owned" / "backend.json"
        state.write_text(json.dumps({**json.loads(state.read_text()), "bundle": "0" * 64}))
        assert resolve_deployment(tmp_path / "owned").url == owned.url
