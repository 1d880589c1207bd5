"""What a terminal shows of a turn while it streams: the answer, the model's reasoning summary and a running
command's output, taken from the host's notifications a piece at a time, a new line wherever the kind of text or the
item changes (the CLI's ``run`` and the demo print them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..events import REASONING_PART_SEPARATOR

__all__ = ["LiveKind", "LiveText"]

LiveKind = Literal["answer", "thinking", "output"]

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
        kind = _KINDS.get(method)
        if kind is None:
            return None
        at = (kind, str(params.get("itemId", "")))
        lead = "\n" if self.last is not None and self.last != at else ""
        self.last = at
        if method == "item/reasoning/summaryPartAdded":  # a further part of the summary: a blank line first
            return (kind, lead or REASONING_PART_SEPARATOR) if int(params.get("summaryIndex", 0)) > 0 else (kind, lead)
        return kind, lead + str(params.get("delta", ""))
