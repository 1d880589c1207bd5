"""The README's main job runs end to end and ends with the table of what is in Convex."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.codex


def test_demo_json_reports_live_turns_approvals_through_convex_and_an_import() -> None:
    out = subprocess.run([sys.executable, "-m", "codex_convex", "demo", "--json"], capture_output=True, text=True,
                         timeout=180, env={k: v for k, v in os.environ.items() if k != "CONVEX_URL"})
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    from codex_convex.demo import LIVE_PROMPTS, PLAN_PROMPTS

    assert [t["status"] for t in report["turns"]] == ["completed"] * (len(LIVE_PROMPTS) + len(PLAN_PROMPTS))
    assert {a["method"] for a in report["approvals"]} == {"item/commandExecution/requestApproval",
                                                          "item/fileChange/requestApproval",
                                                          "item/tool/requestUserInput"}  # plan mode's question
    assert report["import_result"]["state"] == "synced"
    live, agent, imported = report["conversations"]  # the live one's sub-agent (its AGENT turn) has its own
    assert report["review"]["status"] == "completed" and "notes.md has no heading" in report["review"]["text"]
    # a second client's message ran as a turn of the live conversation (the host started it)
    client = report["client_turn"]
    assert (client["state"], client["status"]) == ("started", "completed") and client["turnId"]
    # the review is two turns, as Codex keeps it: its reviewer's, then its own; then the client's
    assert live["turns"] == len(LIVE_PROMPTS) + len(PLAN_PROMPTS) + 3 and live["syncState"] == "synced"
    assert agent["turns"] == 1 and agent["messages"] == 3  # its task, its command, its answer
    assert imported["turns"] == 3 and imported["syncState"] == "synced"


def test_demo_prints_the_final_table() -> None:
    out = subprocess.run([sys.executable, "-m", "codex_convex", "demo"], capture_output=True, text=True, timeout=180,
                         env={k: v for k, v in os.environ.items() if k != "CONVEX_URL"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert "In Convex now" in out.stderr and "Look further" in out.stderr
    assert "watch it live in a browser: http://127.0.0.1:" in out.stderr  # the page's URL, and nothing opened
    assert "plan:\n  ✓ greet\n  → write demo.txt\n  · add notes.md" in out.stderr  # the model's plan, as it set it
    assert "web search convex components\nsearched: convex components" in out.stderr  # a tool's line, then the answer
    assert "review: REVIEW demo.txt" in out.stderr and "notes.md has no heading" in out.stderr
    # plan mode: the question answered by the second client, then the proposed plan as it streamed
    assert "UI client: Codex asks 'which file first?' → demo.txt" in out.stderr and "answered: demo.txt" in out.stderr
    assert "# Plan\n- update demo.txt\n- give notes.md a heading" in out.stderr


def test_every_command_the_demo_suggests_runs(tmp_path: Path) -> None:
    from codex_convex.cli.demo import LOOK_FURTHER

    (tmp_path / "codex-home").mkdir()
    env = {**{k: v for k, v in os.environ.items() if k not in ("CONVEX_URL", "CONVEX_TOKEN")},
           "CODEX_CONVEX_HOME": str(tmp_path / "state"), "CODEX_HOME": str(tmp_path / "codex-home")}
    try:
        for command, _ in LOOK_FURTHER:
            words = shlex.split(command)
            if words[1:] == ["backend", "start"]:
                words.append("--port=0")  # any free port: the suggested 3210 may be taken on a shared machine
            if words[1:] == ["ui"]:  # serves until stopped: it must come up, print its URL, and stop cleanly
                ui = subprocess.Popen([sys.executable, "-m", "codex_convex", "ui"], stderr=subprocess.PIPE,
                                      text=True, env=env, cwd=tmp_path)
                assert ui.stderr is not None
                first = ui.stderr.readline()
                assert "conversation page at http://127.0.0.1:" in first, first
                ui.terminate()
                assert ui.wait(timeout=10) == 0
                continue
            if "--serve" in words:  # hosts until stopped: it must bind a conversation, say so, and stop cleanly
                served = subprocess.Popen([sys.executable, "-m", "codex_convex", *words[1:]], stderr=subprocess.PIPE,
                                          text=True, env=env, cwd=tmp_path)
                assert served.stderr is not None
                said: list[str] = []
                while not said or not said[-1].startswith("serving "):
                    said.append(served.stderr.readline())
                    assert said[-1], said  # ended without serving
                served.terminate()
                assert served.wait(timeout=30) == 0
                continue
            out = subprocess.run([sys.executable, "-m", "codex_convex", *words[1:]], capture_output=True, text=True,
                                 timeout=180, env=env, cwd=tmp_path)
            assert out.returncode == 0, (command, out.stderr[-2000:])
    finally:
        subprocess.run([sys.executable, "-m", "codex_convex", "backend", "stop"], env=env, timeout=60)
