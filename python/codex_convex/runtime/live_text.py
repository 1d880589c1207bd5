"""What a terminal shows of a turn while it streams: the answer, the model's reasoning summary, a running command's
output, the plan each time the model sets it and a line for each other tool the model used (a web search, an image it
looked at, an MCP or app tool, a sub-agent), taken from the host's notifications a piece at a time; a new kind of
text or a new item starts on a line of its own, never after a blank one (the CLI's ``run`` and the demo print them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..events import REASONING_PART_SEPARATOR
from ..events.item_view import message_view

__all__ = ["LiveKind", "LiveText"]

LiveKind = Literal["answer", "thinking", "output", "plan", "tool", "goal"]

# How a plan step shows by its status (Codex's `turn/plan/updated`).
PLAN_MARKS = {"completed": "✓", "inProgress": "→", "pending": "·"}

# Tools shown by a line when their item completes (the label, then the item's summary: ``web search convex limits``);
# commands and file changes show through their output and approvals instead.
TOOL_LABELS = {"webSearch": "web", "imageView": "image", "imageGeneration": "image", "mcpToolCall": "mcp",
               "dynamicToolCall": "tool", "collabAgentToolCall": "agents", "enteredReviewMode": "review"}

_KINDS: dict[str, LiveKind] = {
    "item/agentMessage/delta": "answer",
    "item/reasoning/summaryTextDelta": "thinking",
    "item/reasoning/summaryPartAdded": "thinking",
    "item/commandExecution/outputDelta": "output",
    "item/plan/delta": "plan",  # plan mode's proposed plan (``CodexHost.send(..., plan=True)``)
}


@dataclass
class LiveText:
    last: tuple[LiveKind, str] | None = None  # the kind and item of the last piece
    line_start: bool = True  # the text so far ends at the start of a line
    thread_id: str | None = None  # the thread shown: the first one heard from (a sub-agent's text is not shown)
    streamed: set[str] = field(default_factory=set)  # agent messages whose text came as deltas
    goal: tuple[str, str] | None = None  # the goal's objective and status as last shown

    def piece(self, method: str, params: dict[str, Any]) -> tuple[LiveKind, str] | None:
        """The text a notification adds, or ``None`` for one that adds none (or that is another thread's: a
        sub-agent shows through its parent's spawn and wait lines, its own text in its own conversation)."""
        thread_id = params.get("threadId")
        if isinstance(thread_id, str):
            self.thread_id = self.thread_id or thread_id
            if thread_id != self.thread_id:
                return None
        if method in ("thread/goal/updated", "thread/goal/cleared"):
            return self._goal(params.get("goal") if method == "thread/goal/updated" else None)
        if method == "turn/plan/updated":
            return self._emit(("plan", str(params.get("turnId", ""))), self._plan(params))
        if method == "item/completed":
            return self._completed(params.get("item"))
        kind = _KINDS.get(method)
        if kind is None:
            return None
        at = (kind, str(params.get("itemId", "")))
        if kind == "answer":
            self.streamed.add(at[1])
        if method == "item/reasoning/summaryPartAdded":  # a further part of the summary: a blank line first
            later = int(params.get("summaryIndex", 0)) > 0 and self.last == at
            return self._emit(at, REASONING_PART_SEPARATOR if later else "")
        return self._emit(at, str(params.get("delta", "")))

    def end(self) -> str:
        """What ends the text so far on a line of its own ("\\n", or nothing at a line's start); what follows starts
        afresh (the demo calls it after each turn)."""
        out = "" if self.line_start else "\n"
        self.last, self.line_start = None, True
        return out

    def _emit(self, at: tuple[LiveKind, str], text: str) -> tuple[LiveKind, str]:
        if self.last != at and not self.line_start:
            text = "\n" + text
        self.last = at
        if text:
            self.line_start = text.endswith("\n")
        return at[0], text

    def _completed(self, item: Any) -> tuple[LiveKind, str] | None:
        """A line for a tool; an agent message Codex sent whole (a /review's review comes so), its text."""
        if not isinstance(item, dict):
            return None
        if item.get("type") == "agentMessage" and str(item.get("id")) not in self.streamed:
            text = str(item.get("text") or "")
            return self._emit(("answer", str(item.get("id", ""))), text + "\n") if text else None
        return self._tool(item)

    def _tool(self, item: dict[str, Any]) -> tuple[LiveKind, str] | None:
        label = TOOL_LABELS.get(str(item.get("type")))
        view = message_view(item, "completed") if label else None
        if view is None:
            return None
        failed = " (failed)" if view["status"] == "failed" else ""
        # a sub-agent's task, what a review looks at: their first line
        task = view["text"].split("\n", 1)[0][:120] if label in ("agents", "review") else ""
        summary = "" if label == "review" else f" {view.get('summary', '')}"  # "review: the uncommitted changes"
        line = f"{label}{summary}{': ' + task if task else ''}{failed}\n"
        return self._emit(("tool", str(item.get("id", ""))), line)

    def _goal(self, goal: Any) -> tuple[LiveKind, str] | None:
        """A line when the thread's goal is set, changes status or is cleared (not for its running counts)."""
        now = (str(goal.get("objective", "")), str(goal.get("status", ""))) if isinstance(goal, dict) else None
        if now == self.goal:
            return None
        self.goal = now
        line = "goal cleared\n" if now is None else f"goal ({now[1]}): {now[0].split(chr(10), 1)[0][:120]}\n"
        return self._emit(("goal", ""), line)

    @staticmethod
    def _plan(params: dict[str, Any]) -> str:
        """The whole plan as the model just set it: one line per step, marked by its status."""
        lines = [f"{PLAN_MARKS.get(str(s.get('status')), '?')} {s.get('step', '')}" for s in params.get("plan") or []]
        why = params.get("explanation")
        return "plan:" + (f" {why}" if why else "") + "".join(f"\n  {line}" for line in lines) + "\n"
