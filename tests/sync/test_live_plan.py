"""A turn's plan (Codex's ``turn/plan/updated``) → one ``turnPlan`` event: as Codex sent it when it fits the
component's bounds; clipped to them (in UTF-16 code units, as the component counts), marked truncated and said once
in the log when it does not."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from codex_convex.events import utf16_len
from codex_convex.host_api.limits import PLAN_EXPLANATION_MAX_CHARS, PLAN_MAX_STEPS, PLAN_STEP_MAX_CHARS
from codex_convex.host_api.models import IngestEventTurnPlan
from codex_convex.protocol.notifications import decode
from codex_convex.replication import EventMapper


def plan(steps: list[tuple[str, str]], explanation: str | None = None) -> IngestEventTurnPlan:
    params: dict[str, Any] = {"threadId": "th", "turnId": "t1", "explanation": explanation,
                              "plan": [{"step": s, "status": st} for s, st in steps]}
    decoded = decode("turn/plan/updated", params)  # the host's own decoding: valid protocol only
    assert decoded is not None
    [event] = EventMapper("th").map(decoded)
    assert isinstance(event, IngestEventTurnPlan)
    return event


def test_a_plan_within_bounds_is_sent_as_codex_sent_it() -> None:
    e = plan([("read the code", "completed"), ("write the fix", "inProgress"), ("run tests", "pending")], "why")
    assert (e.turn_id, e.explanation, e.truncated) == ("t1", "why", False)
    assert [(s.step, s.status) for s in e.steps] == [("read the code", "completed"), ("write the fix", "inProgress"),
                                                      ("run tests", "pending")]


def test_a_plan_over_its_bounds_is_clipped_to_them_and_marked() -> None:
    emoji = "\U0001F600"  # two UTF-16 code units: the bound is the component's (JavaScript) length
    with capture_logs() as logs:
        e = plan([(emoji * PLAN_STEP_MAX_CHARS, "pending")] + [(f"s{i}", "pending") for i in range(PLAN_MAX_STEPS)],
                 "x" * (PLAN_EXPLANATION_MAX_CHARS + 1))
    assert e.truncated
    assert len(e.steps) == PLAN_MAX_STEPS
    assert utf16_len(e.steps[0].step) == PLAN_STEP_MAX_CHARS and e.steps[0].step == emoji * (PLAN_STEP_MAX_CHARS // 2)
    assert e.explanation == "x" * PLAN_EXPLANATION_MAX_CHARS
    assert [entry["event"] for entry in logs] == ["replication.plan_clipped"]
    # each bound alone marks it too
    assert plan([("a", "pending")] * (PLAN_MAX_STEPS + 1)).truncated
    assert plan([("b" * (PLAN_STEP_MAX_CHARS + 1), "pending")]).truncated
    at_bounds = plan([("b" * PLAN_STEP_MAX_CHARS, "pending")] * PLAN_MAX_STEPS, "c" * PLAN_EXPLANATION_MAX_CHARS)
    assert not at_bounds.truncated
