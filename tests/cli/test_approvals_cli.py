"""Approvals from the terminal, end to end (issue #18): ``codex-convex run`` without a terminal and without a policy
waits on Convex and prints how to answer; the printed ``codex-convex approve …`` is run, as printed, from another
process; the turn then finishes; the printed ``continue it`` hint is run too. A declined command says so."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Deployment

pytestmark = [pytest.mark.backend, pytest.mark.codex, pytest.mark.anyio]
CLI = [sys.executable, "-m", "codex_convex"]


def as_argv(printed: str) -> list[str]:
    """A command the CLI printed, as this test runs it (``codex-convex`` is this interpreter's module)."""
    words = shlex.split(printed)
    assert words[0] == "codex-convex", printed
    return CLI + words[1:]


@pytest.fixture
def env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice,
            "CODEX_CONVEX_HOME": str(tmp_path / "state")}


def printed_line(run: subprocess.Popen[str], pattern: str, within_s: float = 90) -> tuple[str, list[str]]:
    """What the first group of ``pattern`` matched in the first line of ``run``'s stderr that has it, and the lines
    read till then."""
    assert run.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        line = run.stderr.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(pattern, line)
        if m:
            return m.group(1), seen
    raise AssertionError("".join(seen))


@pytest.mark.parametrize("prompt", ["RUN echo approved > approved.txt", "AGENT RUN echo approved > approved.txt"],
                         ids=["own", "sub-agent"])
def test_a_waiting_run_is_answered_by_approve_from_another_process(env: dict[str, str], tmp_path: Path,
                                                                    prompt: str) -> None:
    # a sub-agent's request is listed with its parent's and under its own conversation: `approvals` shows it once
    work = tmp_path / "work"
    work.mkdir()
    run = subprocess.Popen([*CLI, "run", "--scripted", prompt, "--wait-s", "120"],
                           env=env, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        printed, seen = printed_line(run, r"from any terminal, (codex-convex approve \S+)")
        listed = subprocess.run([*CLI, "approvals", "--json"], env=env, capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        # this run's request (the user may hold others: the deployment is shared by the session's tests)
        [row] = [r for r in json.loads(listed.stdout) if printed.endswith(r["id"])]
        assert row["host"]["online"] is True
        answered = subprocess.run(as_argv(printed), env=env, capture_output=True, text=True, timeout=60)
        assert answered.returncode == 0, answered.stderr
        rest, _ = run.communicate(timeout=120)
    finally:
        run.kill()
    tail = "".join(seen) + (run.stderr.read() if not run.stderr.closed else "")
    assert run.returncode == 0, tail
    assert (work / "approved.txt").read_text() == "approved\n"
    left = json.loads(subprocess.run([*CLI, "approvals", "--json"], env=env, capture_output=True, text=True,
                                     timeout=60).stdout)
    assert [r for r in left if r["id"] == row["id"]] == []
    del rest


def test_a_question_codex_asks_a_waiting_run_is_answered_from_another_process(env: dict[str, str],
                                                                             tmp_path: Path) -> None:
    """Plan mode's model asks (request_user_input): the run says what and how to answer; `approve` refuses a
    question; `answer ID TEXT` gives the model the answer."""
    run = subprocess.Popen([*CLI, "run", "--scripted", "--plan", "ASK which database? | sqlite | postgres",
                            "--wait-s", "120"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        printed, seen = printed_line(run, r"which database\?: from any terminal, codex-convex answer (\S+) TEXT")
        wrong = subprocess.run([*CLI, "approve", printed], env=env, capture_output=True, text=True, timeout=60)
        assert wrong.returncode != 0 and "E_CLI_NOT_AN_APPROVAL" in wrong.stderr, wrong.stderr
        answered = subprocess.run([*CLI, "answer", printed, "postgres"], env=env, capture_output=True, text=True,
                                  timeout=60)
        assert answered.returncode == 0, answered.stderr
        assert "choice: postgres" in answered.stderr
        _, rest = run.communicate(timeout=120)
    finally:
        run.kill()
    tail = "".join(seen) + rest
    assert run.returncode == 0, tail
    assert "answered: postgres" in tail  # what the model was given


def test_the_continue_hint_works_and_a_declined_command_says_so(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    first = subprocess.run([*CLI, "run", "--scripted", "--decline", "RUN touch x"], env=env, cwd=work,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "declined: touch x" in first.stderr and "ran: touch x" not in first.stderr
    assert not (work / "x").exists()
    hint = re.search(r"(codex-convex run --scripted --conversation \S+ \"…\")", first.stderr)
    assert hint is not None, first.stderr
    again = subprocess.run(as_argv(hint.group(1).replace("…", "and again")), env=env, cwd=work,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "echo: and again" in again.stderr


async def test_approvals_watch_lists_a_request_as_it_arrives(env: dict[str, str], deployment: Deployment) -> None:
    from codex_convex.convex_api import ConvexHttp
    from codex_convex.host_api import HostApi

    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        api = HostApi(http)
        thread = f"th-watch-{time.time_ns()}"
        cid = (await api.sync_open_conversation_binding(thread_id=thread)).conversation.conversation_id
        watch = subprocess.Popen([*CLI, "approvals", "--conversation", cid, "--watch", "--json"], env=env,  # noqa: ASYNC220
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert watch.stdout is not None
        try:
            def next_listing() -> list[dict[str, object]]:
                lines = []
                for line in watch.stdout:  # type: ignore[union-attr]
                    lines.append(line)
                    if line.rstrip() == "]" or line.rstrip() == "[]":
                        listing: list[dict[str, object]] = json.loads("".join(lines))
                        return listing
                raise AssertionError("the watch ended")

            assert next_listing() == []
            await api.ingest_events(conversation_id=cid, stream_id="s", seq=0, events=[
                {"type": "serverRequest", "threadId": thread, "turnId": "t1", "itemId": "call_1", "requestId": "9",
                 "method": "item/commandExecution/requestApproval", "paramsJson": "{}", "at": time.time() * 1000}])
            [row] = next_listing()
            assert row["id"] == f"{thread}/t1/9"
        finally:
            watch.kill()
