"""What the CLI's `run` and the demo print while a turn streams (runtime/live_text.py): the reasoning summary, a
command's output and the answer, each piece as it comes, a new line where the kind of text or the item changes."""

from __future__ import annotations

from codex_convex.runtime.live_text import LiveText


def test_a_turns_streamed_text_reads_as_it_would_on_a_terminal() -> None:
    notes = [
        ("item/started", {"item": {"type": "reasoning", "id": "rs_1"}}),
        ("item/reasoning/summaryPartAdded", {"itemId": "rs_1", "summaryIndex": 0}),
        ("item/reasoning/summaryTextDelta", {"itemId": "rs_1", "delta": "plan ", "summaryIndex": 0}),
        ("item/reasoning/summaryTextDelta", {"itemId": "rs_1", "delta": "it", "summaryIndex": 0}),
        ("item/reasoning/summaryPartAdded", {"itemId": "rs_1", "summaryIndex": 1}),
        ("item/reasoning/summaryTextDelta", {"itemId": "rs_1", "delta": "then run", "summaryIndex": 1}),
        ("turn/plan/updated", {"turnId": "t1", "explanation": None, "plan": [
            {"step": "look", "status": "completed"}, {"step": "run", "status": "inProgress"},
            {"step": "report", "status": "pending"}]}),
        ("item/commandExecution/outputDelta", {"itemId": "call_1", "delta": "line 1\n"}),
        ("item/commandExecution/outputDelta", {"itemId": "call_1", "delta": "line 2\n"}),
        ("item/commandExecution/outputDelta", {"itemId": "call_2", "delta": "other\n"}),
        ("item/agentMessage/delta", {"itemId": "msg_1", "delta": "ran: "}),
        ("item/agentMessage/delta", {"itemId": "msg_1", "delta": "it"}),
        ("turn/completed", {}),
    ]
    live = LiveText()
    pieces = [p for m, params in notes if (p := live.piece(m, params)) is not None]
    assert {k for k, _ in pieces} == {"thinking", "plan", "output", "answer"}
    assert "".join(t for _, t in pieces) == ("plan it\n\nthen run\nplan:\n  ✓ look\n  → run\n  · report\n"
                                             "\nline 1\nline 2\n\nother\n\nran: it")
    assert [k for k, t in pieces if "line" in t] == ["output", "output"]
