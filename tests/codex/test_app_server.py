"""The pinned Codex binary, driven over stdio, against the scripted model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.codex import PINNED_CODEX_VERSION, ServerRequest, find_codex
from codex_convex.codex.rpc import Notification, RpcClient
from codex_convex.codex.session import open_app_server
from codex_convex.protocol import parse_notification, v2

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def _run_turn(rpc: RpcClient, thread_id: str, text: str, policy: str = "untrusted") -> list[Notification]:
    await rpc.request("turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}],
                                     "approvalPolicy": policy})
    seen: list[Notification] = []
    with anyio.fail_after(60):
        while True:
            n = await rpc.next_notification()
            seen.append(n)
            if n.method == "turn/completed":
                return seen


def test_pinned_binary_version() -> None:
    assert find_codex().version() == PINNED_CODEX_VERSION


async def test_text_turn_streams_deltas_then_completes(codex_home: Path, workdir: Path) -> None:
    async with open_app_server(codex_home, cwd=workdir) as app:
        thread = (await app.rpc.request("thread/start", {"cwd": str(workdir)}))["thread"]
        seen = await _run_turn(app.rpc, thread["id"], "stream these words please")
    deltas = [parse_notification(n.method, n.params) for n in seen if n.method == "item/agentMessage/delta"]
    assert len(deltas) == 5
    assert all(isinstance(d, v2.AgentMessageDeltaNotification) for d in deltas)
    assert "".join(d.delta for d in deltas if isinstance(d, v2.AgentMessageDeltaNotification)) == \
        "echo: stream these words please"
    done = parse_notification(seen[-1].method, seen[-1].params)
    assert isinstance(done, v2.TurnCompletedNotification)
    assert done.turn.status.value == "completed"


async def test_command_approval_is_asked_and_accept_runs_it(codex_home: Path, workdir: Path) -> None:
    asked: list[ServerRequest] = []

    async def on_request(req: ServerRequest) -> dict[str, Any]:
        asked.append(req)
        return {"decision": "accept"}

    async with open_app_server(codex_home, cwd=workdir, on_server_request=on_request) as app:
        thread = (await app.rpc.request("thread/start", {"cwd": str(workdir)}))["thread"]
        seen = await _run_turn(app.rpc, thread["id"], "RUN echo approved > out.txt")
    assert [r.method for r in asked] == ["item/commandExecution/requestApproval"]
    assert (workdir / "out.txt").read_text() == "approved\n"
    completed = [n.params["item"] for n in seen if n.method == "item/completed"]
    cmd = next(i for i in completed if i["type"] == "commandExecution")
    assert cmd["status"] == "completed"


async def test_declined_file_change_writes_nothing(codex_home: Path, workdir: Path) -> None:
    async def decline(req: ServerRequest) -> dict[str, Any]:
        return {"decision": "decline"}

    async with open_app_server(codex_home, cwd=workdir, on_server_request=decline) as app:
        thread = (await app.rpc.request("thread/start", {"cwd": str(workdir)}))["thread"]
        seen = await _run_turn(app.rpc, thread["id"], "PATCH nope.txt")
    assert not (workdir / "nope.txt").exists()
    change = next(n.params["item"] for n in seen
                  if n.method == "item/completed" and n.params["item"]["type"] == "fileChange")
    assert change["status"] == "declined"
