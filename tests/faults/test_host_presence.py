"""The host itself dies (kill -9, the whole process group: the Python host and its Codex) mid-turn while a command's
message streams and its approval is pending: within the host timeout a second client sees the turn interrupted
(E_HOST_LOST), nothing streaming, the approval expired and the host offline; answering it is E_HOST_OFFLINE; a new
host resumes the conversation and it equals Codex's own record. A host that only pauses shorter than the timeout
(SIGSTOP, SIGCONT) loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from codex_convex.errors import ConflictError
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import GetConversationViewFound, NotFound
from codex_convex.runtime import CodexHost, HostConfig
from tests.conftest import Deployment
from tests.support import codex_messages, conversation_messages, persisted_items, persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.codex, pytest.mark.faults]

HEARTBEAT_S, TIMEOUT_S = 0.5, 4.0

# A host in its own process: opens a conversation, prints its ids, then runs a turn whose command waits for an
# approval nobody gives (no handler: it waits for a decision in Convex).
HOST = """
import anyio, json, sys
from pathlib import Path
from codex_convex.runtime import CodexHost, HostConfig

async def main() -> None:
    cfg = HostConfig(codex_home=Path(sys.argv[1]), cwd=Path(sys.argv[2]), convex_url=sys.argv[3], token=sys.argv[4],
                     heartbeat_s=float(sys.argv[5]), host_timeout_s=float(sys.argv[6]), host_label="doomed",
                     turn_timeout_s=600)
    async with CodexHost(cfg) as host:
        cid = await host.new_conversation()
        print(json.dumps({"conversationId": cid, "threadId": host.thread_id}), flush=True)
        await host.send(sys.argv[7])

anyio.run(main)
"""


def cli(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice}
    return subprocess.run([sys.executable, "-m", "codex_convex", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def start_host(codex_home: Path, workdir: Path, deployment: Deployment,
               prompt: str = "RUN echo approved > approved.txt") -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-c", HOST, str(codex_home), str(workdir), deployment.url,
                             deployment.alice, str(HEARTBEAT_S), str(TIMEOUT_S), prompt],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    assert proc.stdout is not None
    for line in proc.stdout:  # logs may come first
        if line.startswith("{") and "conversationId" in line:
            return proc, json.loads(line)
    raise AssertionError("the host process printed no ids")


async def view_until(api: HostApi, cid: str, ok: Any, timeout_s: float) -> GetConversationViewFound:
    with anyio.fail_after(timeout_s):
        while True:
            got = await api.get_conversation_view(conversation_id=cid)
            assert not isinstance(got, NotFound)
            if ok(got):
                return got
            await anyio.sleep(0.2)


def mid_turn(v: GetConversationViewFound) -> bool:
    return (len(v.pending_requests) == 1 and v.host is not None and v.host.online
            and any(m.status == "streaming" for m in v.messages))


async def test_a_host_killed_while_its_sub_agent_waits_is_swept_then_a_new_host_reconciles_both(
        codex_home: Path, workdir: Path, deployment: Deployment, alice_api: HostApi) -> None:
    """The pending approval is a sub-agent's (listed with its parent's): the sweep ends the sub-agent's turn and
    expires it too, and the host that resumes the parent brings the sub-agent's conversation back to Codex's record."""
    proc, ids = start_host(codex_home, workdir, deployment, "AGENT RUN echo approved > approved.txt")
    cid = ids["conversationId"]
    try:
        before = await view_until(alice_api, cid, lambda v: len(v.pending_requests) == 1, 60)
        request = before.pending_requests[0]
        assert request.conversation_id != cid  # the sub-agent's
        os.killpg(proc.pid, signal.SIGKILL)
        await view_until(alice_api, request.conversation_id,
                         lambda v: v.host is not None and not v.host.online and v.pending_requests == [],
                         TIMEOUT_S + 15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    swept = await alice_api.get_turn(thread_id=request.thread_id, turn_id=request.turn_id)
    assert swept.found and swept.turn.status == "interrupted"
    assert swept.turn.error is not None and swept.turn.error.message.startswith("E_HOST_LOST")
    cfg = HostConfig(codex_home=codex_home, cwd=workdir, convex_url=deployment.url, token=deployment.alice,
                     heartbeat_s=HEARTBEAT_S, host_timeout_s=TIMEOUT_S)
    async with CodexHost(cfg) as host:
        await host.resume_conversation(cid)
        agent_thread: dict[str, Any] = (await host.read_thread(request.thread_id))["thread"]
        again = await alice_api.get_conversation_view(conversation_id=request.conversation_id)
        assert again.found and again.host is not None and again.host.online  # bound again by the new host
    assert not (workdir / "approved.txt").exists()
    for codex_turn in agent_thread["turns"]:
        stored_turn = await alice_api.get_turn(thread_id=request.thread_id, turn_id=codex_turn["id"])
        assert stored_turn.found and stored_turn.turn.status == codex_turn["status"]
        lost = stored_turn.turn.error is not None and stored_turn.turn.error.message.startswith("E_HOST_LOST")
        assert not lost or codex_turn["status"] == "interrupted"


async def test_a_host_killed_mid_turn_is_swept_then_a_new_host_reconciles(
        codex_home: Path, workdir: Path, deployment: Deployment, alice_api: HostApi) -> None:
    proc, ids = start_host(codex_home, workdir, deployment)
    cid, thread_id = ids["conversationId"], ids["threadId"]
    try:
        before = await view_until(alice_api, cid, mid_turn, 60)
        request = before.pending_requests[0]
        os.killpg(proc.pid, signal.SIGKILL)  # the host and its Codex, at once
        killed_at = time.monotonic()
        after = await view_until(alice_api, cid, lambda v: v.host is not None and not v.host.online, TIMEOUT_S + 15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert time.monotonic() - killed_at >= TIMEOUT_S - 0.5  # not before its timeout
    assert after.host is not None and after.host.label == "doomed"
    assert after.pending_requests == [] and not any(m.status == "streaming" for m in after.messages)
    turn = await alice_api.get_turn(thread_id=thread_id, turn_id=request.turn_id)
    assert turn.found and turn.turn.status == "interrupted"
    assert turn.turn.error is not None and turn.turn.error.message.startswith("E_HOST_LOST")
    stored = await alice_api.get_server_request(thread_id=thread_id, turn_id=request.turn_id,
                                                request_id=request.request_id)
    assert stored is not None and stored.status == "expired"
    with pytest.raises(ConflictError) as refused:  # nobody could act on it
        await alice_api.respond_server_request(thread_id=thread_id, turn_id=request.turn_id,
                                               request_id=request.request_id, decision="accept")
    assert refused.value.code == "E_HOST_OFFLINE"
    answered = cli(deployment, "approve", f"{thread_id}/{request.turn_id}/{request.request_id}", "--json")
    assert answered.returncode == 1 and json.loads(answered.stdout)["error"]["code"] == "E_HOST_OFFLINE"
    jobs_view = cli(deployment, "approvals", "--conversation", cid, "--json")
    assert jobs_view.returncode == 0 and json.loads(jobs_view.stdout) == []  # expired: nothing left to answer

    # A new host resumes the conversation: it is online again, and the conversation equals Codex's record.
    cfg = HostConfig(codex_home=codex_home, cwd=workdir, convex_url=deployment.url, token=deployment.alice,
                     heartbeat_s=HEARTBEAT_S, host_timeout_s=TIMEOUT_S)
    async with CodexHost(cfg) as host:
        await host.resume_conversation(cid)
        thread: dict[str, Any] = (await host.read_thread())["thread"]
        again = await alice_api.get_conversation_view(conversation_id=cid)
        assert again.found and again.host is not None and again.host.online
    assert not (workdir / "approved.txt").exists()
    assert conversation_messages(await persisted_messages(alice_api, cid)) == codex_messages(thread)
    for codex_turn in thread["turns"]:
        stored_turn = await alice_api.get_turn(thread_id=thread_id, turn_id=codex_turn["id"])
        assert stored_turn.found and stored_turn.turn.status == codex_turn["status"]
        items = await persisted_items(alice_api, thread_id, codex_turn["id"])
        assert [(i["id"], i["type"]) for i in items] == [(i["id"], i["type"]) for i in codex_turn["items"]]


async def test_a_host_paused_shorter_than_its_timeout_loses_nothing(
        codex_home: Path, workdir: Path, deployment: Deployment, alice_api: HostApi) -> None:
    proc, ids = start_host(codex_home, workdir, deployment)
    cid, thread_id = ids["conversationId"], ids["threadId"]
    try:
        before = await view_until(alice_api, cid, mid_turn, 60)
        request = before.pending_requests[0]
        proc.send_signal(signal.SIGSTOP)  # the Python host only (its Codex keeps running)
        await anyio.sleep(TIMEOUT_S * 0.3)  # well under the timeout, with room for a loaded machine
        proc.send_signal(signal.SIGCONT)
        await anyio.sleep(TIMEOUT_S * 1.5)  # past the timeout, counted from the pause: it heartbeat meanwhile
        during = await alice_api.get_conversation_view(conversation_id=cid)
        assert isinstance(during, GetConversationViewFound) and mid_turn(during), during.host
        # the terminal shows it pending, its host online; an answer from there reaches the host: the turn completes
        listed = cli(deployment, "approvals", "--conversation", cid, "--json")
        assert listed.returncode == 0, listed.stderr
        [row] = json.loads(listed.stdout)
        assert row["requestId"] == request.request_id and row["host"]["online"] is True
        answered = cli(deployment, "approve", f"{thread_id}/{request.turn_id}/{request.request_id}")
        assert answered.returncode == 0, answered.stderr
        done = await view_until(alice_api, cid, lambda v: not any(m.status == "streaming" for m in v.messages)
                                and not v.pending_requests, 60)
        assert done.host is not None  # (online, or ended: the host script stops cleanly once its turn is done)
        turn = await alice_api.get_turn(thread_id=thread_id, turn_id=request.turn_id)
        with anyio.fail_after(30):
            while not (turn.found and turn.turn.status == "completed"):
                await anyio.sleep(0.2)
                turn = await alice_api.get_turn(thread_id=thread_id, turn_id=request.turn_id)
        assert (workdir / "approved.txt").read_text() == "approved\n"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
