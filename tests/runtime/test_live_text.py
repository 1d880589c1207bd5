"""What the CLI's `run` and the demo print while a turn streams (runtime/live_text.py): the reasoning summary, a
command's output, a line for each other tool the model used and the answer, each piece as it comes; a new kind of
text or a new item starts on a line of its own, never after a blank one, and a turn's end leaves the next turn at the
start of a line."""

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
        ("item/started", {"item": {"type": "webSearch", "id": "ws_1", "query": "", "action": None}}),
        ("item/completed", {"item": {"type": "webSearch", "id": "ws_1", "query": "convex limits",
                                     "action": {"type": "search", "query": "convex limits"}}}),
        ("item/completed", {"item": {"type": "mcpToolCall", "id": "mcp_1", "server": "docs", "tool": "get",
                                     "status": "failed", "error": {"message": "timed out"}}}),
        ("item/completed", {"item": {"type": "collabAgentToolCall", "id": "call_9", "tool": "spawnAgent",
                                     "status": "completed", "prompt": "check the tests\nthen report"}}),
        ("item/agentMessage/delta", {"itemId": "msg_1", "delta": "ran: "}),
        ("item/agentMessage/delta", {"itemId": "msg_1", "delta": "it"}),
        ("item/completed", {"item": {"type": "agentMessage", "id": "msg_1", "text": "ran: it"}}),  # not again
        ("turn/completed", {}),
    ]
    live = LiveText()
    pieces = [p for m, params in notes if (p := live.piece(m, params)) is not None]
    assert {k for k, _ in pieces} == {"thinking", "plan", "output", "tool", "answer"}
    assert "".join(t for _, t in pieces) == ("plan it\n\nthen run\nplan:\n  ✓ look\n  → run\n  · report\n"
                                             "line 1\nline 2\nother\nweb search convex limits\n"
                                             "mcp docs.get (failed)\nagents spawnAgent: check the tests\nran: it")
    assert [k for k, t in pieces if "line" in t] == ["output", "output"]
    # the turn ends mid-line: one newline ends it; the next turn's plan starts right there, with no blank line
    assert live.end() == "\n" and live.end() == ""
    assert live.piece("turn/plan/updated", {"turnId": "t2", "plan": [{"step": "a", "status": "pending"}]}) == \
        ("plan", "plan:\n  · a\n")
    assert live.end() == ""
    assert live.piece("item/agentMessage/delta", {"itemId": "msg_2", "delta": "done"}) == ("answer", "done")


def test_only_the_first_thread_heard_from_is_shown() -> None:
    live = LiveText()
    assert live.piece("turn/started", {"threadId": "parent", "turn": {"id": "t1"}}) is None
    assert live.piece("item/agentMessage/delta", {"threadId": "agent", "itemId": "m9", "delta": "x"}) is None
    shown = live.piece("item/agentMessage/delta", {"threadId": "parent", "itemId": "m1", "delta": "y"})
    assert shown == ("answer", "y")


def test_a_review_shows_what_it_looks_at_and_the_review_codex_sends_whole() -> None:
    live = LiveText()
    notes = [
        ("item/completed", {"item": {"type": "enteredReviewMode", "id": "r1", "review": "current changes\nmore"}}),
        ("item/started", {"item": {"type": "agentMessage", "id": "msg_2", "text": ""}}),  # the reviewer's: no text
        ("item/completed", {"item": {"type": "exitedReviewMode", "id": "r2", "review": "all good"}}),
        ("item/completed", {"item": {"type": "agentMessage", "id": "msg_3", "text": "all good\n\n- a finding"}}),
    ]
    shown = "".join(p[1] for m, params in notes if (p := live.piece(m, params)) is not None)
    assert shown == "review: current changes\nall good\n\n- a finding\n"
