"""What a terminal shows of a turn while it streams: the answer, the model's reasoning summary, a running command's
output and the plan each time the model sets it, taken from the host's notifications a piece at a time, a new line
wherever the kind of text or the item changes (the CLI's ``run`` and the demo print them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..events import REASONING_PART_SEPARATOR

__all__ = ["LiveKind", "LiveText"]

LiveKind = Literal["answer", "thinking", "output", "plan"]

# How a plan step shows by its status (Codex's `turn/plan/updated`).
PLAN_MARKS = {"completed": "✓", "inProgress": "→", "pending": "·"}

_KINDS: dict[str, LiveKind] = {
    "item/agentMessage/delta": "answer",
    "item/reasoning/summaryTextDelta": "thinking",
    "item/reasoning/summaryPartAdded": "thinking",
    "item/commandExecution/outputDelta": "output",
}


@dataclass
class LiveText:
    last: tuple[LiveKind, str] | None = None  # the kind and item of the last piece

    def piece(self, method: str, params: dict[str, Any]) -> tuple[LiveKind, str] | None:
        """The text a notification adds, or ``None`` for one that adds none."""
        if method == "turn/plan/updated":
            return self._plan(params)
        kind = _KINDS.get(method)
        if kind is None:
            return None
        at = (kind, str(params.get("itemId", "")))
        lead = "\n" if self.last is not None and self.last != at else ""
        self.last = at
        if method == "item/reasoning/summaryPartAdded":  # a further part of the summary: a blank line first
            return (kind, lead or REASONING_PART_SEPARATOR) if int(params.get("summaryIndex", 0)) > 0 else (kind, lead)
        return kind, lead + str(params.get("delta", ""))

    def _plan(self, params: dict[str, Any]) -> tuple[LiveKind, str]:
        """The whole plan as the model just set it: one line per step, marked by its status."""
        lead = "\n" if self.last is not None else ""
        self.last = ("plan", str(params.get("turnId", "")))
        lines = [f"{PLAN_MARKS.get(str(s.get('status')), '?')} {s.get('step', '')}" for s in params.get("plan") or []]
        why = params.get("explanation")
        return "plan", lead + "plan:" + (f" {why}" if why else "") + "".join(f"\n  {line}" for line in lines) + "\n"
