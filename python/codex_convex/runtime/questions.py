"""Questions the model asks the user (Codex's ``request_user_input`` tool, offered in plan mode): the server request
``item/tool/requestUserInput`` carries them, each with an id, its text and its options (and whether another answer
is allowed); the answer Codex expects back is ``{"answers": {<question id>: {"answers": [<text>]}}}``. A question
waits in Convex like an approval, answered with that JSON (``respondServerRequest``'s ``responseJson``) from any
client: the page, ``codex-convex answer``, a Python handler returning it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import CodexConvexError

__all__ = ["QUESTION_METHOD", "Question", "answers_response", "questions_of"]

QUESTION_METHOD = "item/tool/requestUserInput"


@dataclass(frozen=True)
class Question:
    id: str
    header: str
    text: str
    options: list[str]
    other_allowed: bool  # an answer besides the options (free text); always when there are none


def questions_of(params: dict[str, Any]) -> list[Question]:
    """The questions of a ``item/tool/requestUserInput`` request's params."""
    out = []
    for q in params.get("questions") or []:
        options = [str(o.get("label", "")) for o in q.get("options") or [] if isinstance(o, dict)]
        out.append(Question(id=str(q.get("id", "")), header=str(q.get("header") or ""), text=str(q.get("question", "")),
                            options=options, other_allowed=bool(q.get("isOther")) or not options))
    return out


def answers_response(questions: list[Question], given: dict[str, str]) -> dict[str, Any]:
    """The JSON Codex expects back: one answer for each question, by its id.

    :raises CodexConvexError: ``E_QUESTION_BAD_ANSWERS`` for a question left unanswered, an id no question has, an
        empty answer, or an answer outside a question's options where it allows no other.
    """
    ids = {q.id for q in questions}
    unknown = sorted(set(given) - ids)
    missing = [q.id for q in questions if not given.get(q.id, "").strip()]
    if unknown or missing:
        raise CodexConvexError(f"answer each question once, by its id ({', '.join(sorted(ids))})"
                               + (f"; no question {', '.join(unknown)}" if unknown else "")
                               + (f"; unanswered: {', '.join(missing)}" if missing else ""),
                               code="E_QUESTION_BAD_ANSWERS", data={"unknown": unknown, "missing": missing})
    for q in questions:
        if not q.other_allowed and given[q.id].strip() not in q.options:
            raise CodexConvexError(f"question {q.id} takes one of: {', '.join(q.options)}",
                                   code="E_QUESTION_BAD_ANSWERS", data={"question": q.id, "options": q.options})
    return {"answers": {q.id: {"answers": [given[q.id].strip()]} for q in questions}}
