"""``codex-convex run``: one live turn from the terminal, against the test deployment and the scripted model. The
model's plan prints as it sets it (one line per step, marked by status) and is in the ``--json`` result; a web
search prints a line of its own; ``--plan`` runs the turn in Codex's plan mode, its proposed plan streamed.
``codex-convex review`` runs Codex's /review the same way."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Deployment

pytestmark = [pytest.mark.backend, pytest.mark.codex]
CLI = [sys.executable, "-m", "codex_convex"]
PROMPT = "PLAN read the code=completed | write the fix=in_progress | run the tests"


@pytest.fixture
def env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice,
            "CODEX_CONVEX_HOME": str(tmp_path / "state")}


def test_run_prints_the_plan_and_gives_it_in_json(env: dict[str, str], tmp_path: Path) -> None:
    shown = subprocess.run([*CLI, "run", "--scripted", PROMPT], env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "plan:\n  ✓ read the code\n  → write the fix\n  · run the tests\n" in shown.stderr
    assert "planned: 3 steps" in shown.stderr
    got = subprocess.run([*CLI, "run", "--scripted", "--json", PROMPT], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    result = json.loads(got.stdout)
    assert result["status"] == "completed" and result["text"] == "planned: 3 steps"
    assert result["plan"] == {"explanation": None, "steps": [
        {"step": "read the code", "status": "completed"}, {"step": "write the fix", "status": "inProgress"},
        {"step": "run the tests", "status": "pending"}]}


def test_run_prints_a_line_for_a_web_search(env: dict[str, str], tmp_path: Path) -> None:
    shown = subprocess.run([*CLI, "run", "--scripted", "SEARCH convex limits"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "web search convex limits\nsearched: convex limits\n" in shown.stderr


def test_run_sends_images_with_the_prompt(env: dict[str, str], tmp_path: Path) -> None:
    from tests.support import DOT_PNG

    (tmp_path / "dot.png").write_bytes(DOT_PNG)
    got = subprocess.run([*CLI, "run", "--scripted", "--json", "--image", "dot.png", "what is this"], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["text"].startswith("echo: what is this")  # Codex wraps the image in tags
    bad = subprocess.run([*CLI, "run", "--scripted", "--image", "nope.png", "what is this"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "E_HOST_BAD_IMAGE" in bad.stderr


def test_run_plan_shows_the_proposed_plan_and_the_next_run_is_in_the_default_mode(env: dict[str, str],
                                                                                    tmp_path: Path) -> None:
    planned = subprocess.run([*CLI, "run", "--scripted", "--plan", "PROPOSE read the code | write the fix"],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert planned.returncode == 0, planned.stderr
    assert "Here is the plan.\n# Plan\n- read the code\n- write the fix\nSay go." in planned.stderr  # as it streamed
    conversation = re.search(r"conversation (\S+)", planned.stderr)
    assert conversation is not None, planned.stderr
    got = subprocess.run([*CLI, "run", "--scripted", "--json", "--plan", "--conversation", conversation[1],
                          "PROPOSE read it again"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    result = json.loads(got.stdout)
    assert result["text"] == "Here is the plan.\nSay go."  # the plan is an item of its own
    assert result["proposedPlan"] == "# Plan\n- read it again\n"
    # Codex keeps a thread's mode from turn to turn: the next run, without --plan, is in the default mode again
    after = subprocess.run([*CLI, "run", "--scripted", "--json", "--conversation", conversation[1],
                            "PROPOSE run the tests"], env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert after.returncode == 0, after.stderr
    default = json.loads(after.stdout)
    assert "<proposed_plan>" in default["text"] and default["proposedPlan"] is None


def test_review_prints_what_is_reviewed_and_the_review(env: dict[str, str], tmp_path: Path) -> None:
    shown = subprocess.run([*CLI, "review", "--scripted", "REVIEW looks close | the loop never ends"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "review: REVIEW looks close | the loop never ends\nlooks close\n" in shown.stderr
    assert "- the loop never ends — /src/app.py:1-1" in shown.stderr  # Codex's rendering of the finding
    got = subprocess.run([*CLI, "review", "--scripted", "--json"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    result = json.loads(got.stdout)
    assert result["status"] == "completed" and result["text"]  # the uncommitted changes, by default
    both = subprocess.run([*CLI, "review", "--scripted", "--base", "main", "--commit", "abc"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert both.returncode == 2 and "at most one" in both.stderr


def test_run_with_a_goal_waits_for_codex_to_reach_it(env: dict[str, str], tmp_path: Path) -> None:
    shown = subprocess.run([*CLI, "run", "--scripted", "GOAL tidy the docs"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    # the goal's line, the first turn's answer, then the turn Codex ran by itself, which reached the goal (the line
    # saying Codex goes on shows when the goal is still active as the first turn is recorded: on a busy machine that
    # continuation may have reached it already)
    assert re.search(r"goal \(active\): tidy the docs\ngoal set: tidy the docs\n"
                     r"(the goal is active: Codex goes on by itself until it is reached\n)?"
                     r"goal \(complete\): tidy the docs\ngoal complete: tidy the docs\n", shown.stderr), shown.stderr
    got = subprocess.run([*CLI, "run", "--scripted", "--json", "GOAL tidy the docs"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["goal"]["status"] == "complete"


def test_conversations_lists_them_newest_first_by_title_or_first_message(env: dict[str, str],
                                                                         tmp_path: Path) -> None:
    empty = subprocess.run([*CLI, "conversations", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert empty.returncode == 0, empty.stderr
    before = {c["conversationId"] for c in json.loads(empty.stdout)}
    ran = subprocess.run([*CLI, "run", "--scripted", "--json", "SAY   list\n me"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    conversation = json.loads(ran.stdout)["conversationId"]
    listed = subprocess.run([*CLI, "conversations", "--json"], env=env, capture_output=True, text=True, timeout=60)
    rows = [c for c in json.loads(listed.stdout) if c["conversationId"] not in before]
    assert [(c["conversationId"], c["title"], c["preview"], c["status"]) for c in rows] == [
        (conversation, None, "SAY list me", "active")]
    assert rows[0]["host"] is not None and rows[0]["host"]["online"] is False  # the run's host has gone
    shown = subprocess.run([*CLI, "conversations"], env={**env, "COLUMNS": "200"}, capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0 and conversation in shown.stderr and "“SAY list me”" in shown.stderr
