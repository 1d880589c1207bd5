"""The command line's one error path (issue #18): every expected failure a new user meets prints one line
``✗ CODE: message`` and its fix on stderr, no traceback, exits with the documented code (1 failed, 2 usage, 3 a
missing service), and with ``--json`` prints ``{"error": {"code", "message", "hint"}}`` on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Deployment

pytestmark = [pytest.mark.backend, pytest.mark.anyio]


def cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codex_convex", *args], env={**os.environ, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture
def env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "codex-home"
    home.mkdir()
    return {"CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice, "CODEX_HOME": str(home),
            "CODEX_CONVEX_HOME": str(tmp_path / "state")}


CASES = [
    # (name, args, env overrides, expected code, expected exit)
    ("unknown conversation", ["run", "--scripted", "--conversation", "nosuch", "hi"], {}, None, 1),
    ("unknown thread", ["sync", "0198a1b2-0000-7000-8000-000000000000"], {}, "E_CODEX_RPC", 1),
    ("missing json file", ["sync", "--from-json", "/nonexistent.json"], {}, "E_CLI_FILE", 2),
    ("unreachable deployment", ["jobs"], {"CONVEX_URL": "http://127.0.0.1:9"}, "E_CONVEX_UNREACHABLE", 3),
    ("no token", ["jobs"], {"CONVEX_TOKEN": ""}, "E_CONFIG_NO_TOKEN", 2),
    ("missing CODEX_HOME", ["sync", "--all"], {"CODEX_HOME": "/nonexistent/codex-home"}, "E_CODEX_HOME_MISSING", 2),
    ("dry run of an unknown thread", ["delete", "no-such-thread", "--dry-run"], {}, "E_THREAD_NOT_FOUND", 1),
    ("unknown approval", ["approve", "no/such/request"], {}, "E_CLI_REQUEST_UNKNOWN", 1),
    ("send to an unknown conversation", ["send", "nosuch", "hi"], {}, "E_CONVERSATION_NOT_FOUND", 1),
]


@pytest.mark.parametrize(("name", "args", "extra", "code", "exit_code"), CASES, ids=[c[0] for c in CASES])
def test_expected_errors_are_one_line_with_a_fix(env: dict[str, str], name: str, args: list[str],
                                                 extra: dict[str, str], code: str | None, exit_code: int) -> None:
    human = cli({**env, **extra}, *args)
    assert human.returncode == exit_code, (human.stdout, human.stderr)
    assert "Traceback" not in human.stderr
    lines = [line for line in human.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("✗ ")]
    assert len(errors) == 1, human.stderr
    got = errors[0].removeprefix("✗ ").split(":", 1)[0]
    assert got.startswith("E_") and (code is None or got == code), errors
    assert lines[lines.index(errors[0]) + 1].strip().startswith("fix:")  # the fix, on the next line
    machine = cli({**env, **extra}, *args, "--json")
    assert machine.returncode == exit_code
    err = json.loads(machine.stdout)["error"]
    assert err["code"] == got and err["message"] and err["hint"]
    assert "Traceback" not in machine.stderr


def test_debug_shows_the_traceback(env: dict[str, str]) -> None:
    out = cli(env, "sync", "--from-json", "/nonexistent.json", "--debug")
    assert out.returncode == 2 and "Traceback" in out.stderr and "E_CLI_FILE" in out.stderr


@pytest.mark.parametrize("args", [["sync"], ["run", "--approve", "--decline", "x"], ["run"], ["send", "c"], ["approve"],
                                  ["no-such-command"]])
def test_usage_errors_exit_2(env: dict[str, str], args: list[str]) -> None:
    out = cli(env, *args)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr


def test_sync_all_on_an_empty_codex_home_is_not_an_error(env: dict[str, str], tmp_path: Path) -> None:
    out = cli(env, "sync", "--all")
    assert out.returncode == 0, out.stderr
    assert "no threads found" in out.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith("-tmp")] == []  # no stray <CODEX_HOME>-tmp


@pytest.mark.codex
async def test_sync_all_includes_archived_threads_and_keeps_them_archived(
        env: dict[str, str], tmp_path: Path, deployment: Deployment, scripted_model: Any) -> None:
    from codex_convex.codex import write_scripted_home
    from codex_convex.convex_api import ConvexHttp
    from codex_convex.host_api import HostApi
    from codex_convex.host_api.models import GetConversationFound
    from codex_convex.runtime import CodexHost, HostConfig, HostMode

    home = write_scripted_home(Path(env["CODEX_HOME"]), scripted_model.base_url)
    async with CodexHost(HostConfig(codex_home=home, cwd=tmp_path, mode=HostMode.CODEX_ONLY)) as host:
        await host.new_conversation()
        await host.send("keep me")
        kept = host.bindings.current.thread_id  # type: ignore[union-attr]
        await host.new_conversation()
        await host.send("archive me")
        archived = host.bindings.current.thread_id  # type: ignore[union-attr]
        await host.archive_thread(archived)
    out = cli(env, "sync", "--all", "--json")
    assert out.returncode == 0, out.stderr
    by_thread = {r["thread_id"]: r for r in json.loads(out.stdout)}
    assert set(by_thread) == {kept, archived} and {r["state"] for r in by_thread.values()} == {"synced"}
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        api = HostApi(http)
        status = {}
        for t, r in by_thread.items():
            got = await api.get_conversation(conversation_id=r["conversation_id"])
            assert isinstance(got, GetConversationFound)
            status[t] = got.conversation.status
    assert status == {archived: "archived", kept: "active"}
