"""The answers to Codex's questions (``request_user_input``) as Codex expects them back, and refusals of answers that
leave a question out, name none, or stray outside options where no other answer is allowed."""

from __future__ import annotations

import pytest

from codex_convex.errors import CodexConvexError
from codex_convex.runtime.questions import answers_response, questions_of

PARAMS = {"questions": [
    {"id": "db", "header": "Database", "question": "which one?", "isOther": False,
     "options": [{"label": "sqlite", "description": "small"}, {"label": "postgres", "description": "big"}]},
    {"id": "why", "header": "Why", "question": "what for?", "options": None},
]}


def test_questions_read_from_the_request_and_answered_by_id() -> None:
    db, why = questions_of(PARAMS)
    assert (db.id, db.header, db.text, db.options, db.other_allowed) == ("db", "Database", "which one?",
                                                                       ["sqlite", "postgres"], False)
    assert (why.options, why.other_allowed) == ([], True)  # no options: any words
    assert answers_response([db, why], {"db": "postgres", "why": "  the jobs table  "}) == {
        "answers": {"db": {"answers": ["postgres"]}, "why": {"answers": ["the jobs table"]}}}


@pytest.mark.parametrize(("given", "says"), [
    ({"db": "postgres"}, "unanswered: why"),
    ({"db": "postgres", "why": "  "}, "unanswered: why"),
    ({"db": "postgres", "why": "x", "nope": "y"}, "no question nope"),
    ({"db": "mysql", "why": "x"}, "question db takes one of: sqlite, postgres"),
])
def test_bad_answers_are_refused_with_a_code(given: dict[str, str], says: str) -> None:
    with pytest.raises(CodexConvexError) as refused:
        answers_response(questions_of(PARAMS), given)
    assert refused.value.code == "E_QUESTION_BAD_ANSWERS" and says in str(refused.value)
