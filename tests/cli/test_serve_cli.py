"""``codex-convex run --serve`` hosts a conversation until interrupted, and ``codex-convex send`` gives it messages
from any other terminal: each runs there as a turn (or steers the running one), reported by both commands; with no
host there, ``send`` says so (E_HOST_OFFLINE) and stores nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from tests.conftest import Deployment

pytestmark = [pytest.mark.backend, pytest.mark.codex]
CLI = [sys.executable, "-m", "codex_convex"]


@pytest.fixture
def env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice,
            "CODEX_CONVEX_HOME": str(tmp_path / "state"), "COLUMNS": "200"}


def next_event(out: IO[str]) -> dict[str, object]:
    line = out.readline()
    assert line, "run --serve ended early"
    event: dict[str, object] = json.loads(line)
    return event


def test_a_served_conversation_runs_what_another_terminal_sends(env: dict[str, str], tmp_path: Path) -> None:
    served = subprocess.Popen([*CLI, "run", "--scripted", "--serve", "--json", "SAY first"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert served.stdout is not None
        first = next_event(served.stdout)
        assert first["event"] == "turn" and first["status"] == "completed"
        serving = next_event(served.stdout)
        assert serving["event"] == "serving"
        conversation = str(serving["conversationId"])
        sent = subprocess.run([*CLI, "send", conversation, "SAY from afar", "--json"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert sent.returncode == 0, sent.stderr
        said = json.loads(sent.stdout)
        assert (said["state"], said["taken"], said["text"]) == ("started", True, "SAY from afar")
        turn = next_event(served.stdout)
        assert (turn["event"], turn["turnId"], turn["status"]) == ("turn", said["turnId"], "completed")
        # --follow: the answer as Convex received it, once the turn has ended
        followed = subprocess.run([*CLI, "send", conversation, "SAY follow me", "--follow", "--json"], env=env,
                                  cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert followed.returncode == 0, followed.stderr
        got = json.loads(followed.stdout)
        assert got["turn"] == {"turnId": got["turnId"], "status": "completed", "error": None,
                               "text": "echo: SAY follow me"}
        assert next_event(served.stdout)["turnId"] == got["turnId"]
        shown = subprocess.run([*CLI, "send", conversation, "DELTAS 5", "--follow"], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
        assert shown.returncode == 0, shown.stderr
        streamed = next_event(served.stdout)
        assert streamed["status"] == "completed"
        assert f"turn {streamed['turnId']} completed" in shown.stderr
        assert "tok0 tok1 tok2 tok3 tok4" in shown.stderr  # the answer, printed as it came
        # --plan: the turn it starts is in Codex's plan mode (run --serve has the experimental API)
        planned = subprocess.run([*CLI, "send", conversation, "PROPOSE ship it", "--plan", "--follow", "--json"],
                                 env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert planned.returncode == 0, planned.stderr
        got = json.loads(planned.stdout)
        assert got["plan"] is True and got["turn"]["status"] == "completed"
        assert got["turn"]["text"] == "Here is the plan.\nSay go."  # the block became the turn's plan item
        assert next_event(served.stdout)["turnId"] == got["turnId"]
        served.send_signal(signal.SIGINT)
        assert served.wait(timeout=60) == 0
    finally:
        if served.poll() is None:
            served.kill()
    # the host is gone: a message now is refused, not queued for nobody
    refused = subprocess.run([*CLI, "send", conversation, "SAY anyone?"], env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 1
    assert "E_HOST_OFFLINE" in refused.stderr and "stopped" in refused.stderr
    shown = subprocess.run([*CLI, "conversations", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0, shown.stderr


def test_run_serve_shows_each_client_message_and_its_answer(env: dict[str, str], tmp_path: Path) -> None:
    served = subprocess.Popen([*CLI, "run", "--scripted", "--serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert served.stderr is not None
        lines: list[str] = []
        while not any("serving" in line for line in lines):
            line = served.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        conversation = next(line.split()[1].rstrip(":") for line in lines if line.startswith("serving"))
        sent = subprocess.run([*CLI, "send", conversation, "SAY hello there"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert sent.returncode == 0, sent.stderr
        assert "a turn started with it" in sent.stderr
        while not any("· completed" in line for line in lines):
            line = served.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        served.send_signal(signal.SIGINT)
        served.communicate(timeout=60)
        assert served.returncode == 0
        shown = "".join(lines)
        assert "> SAY hello there\necho: SAY hello there\n" in shown
    finally:
        if served.poll() is None:
            served.kill()
