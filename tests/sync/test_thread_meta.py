"""A thread's metadata event: a name over the title's bound or a cwd over its own is clipped (in UTF-16 code units,
as the component counts) and said in the log; the thread's own JSON still carries both whole."""

from __future__ import annotations

import json

from structlog.testing import capture_logs

from codex_convex.events import thread_json, thread_meta, utf16_len
from codex_convex.host_api.limits import THREAD_FIELD_MAX_CHARS, TITLE_MAX_CHARS


def test_metadata_within_bounds_is_sent_as_is() -> None:
    with capture_logs() as logs:
        e = thread_meta("th", 1.0, name="n" * TITLE_MAX_CHARS, cwd="/w" * (THREAD_FIELD_MAX_CHARS // 2))
    assert (e.name, e.cwd) == ("n" * TITLE_MAX_CHARS, "/w" * (THREAD_FIELD_MAX_CHARS // 2))
    assert logs == []


def test_a_long_name_and_cwd_are_clipped_and_logged_while_the_threads_json_keeps_them() -> None:
    name = "\U0001F680" * TITLE_MAX_CHARS  # two UTF-16 code units each
    cwd = "/" + "d" * THREAD_FIELD_MAX_CHARS
    with capture_logs() as logs:
        e = thread_meta("th", 1.0, name=name, cwd=cwd)
    assert e.name == "\U0001F680" * (TITLE_MAX_CHARS // 2) and utf16_len(e.name) == TITLE_MAX_CHARS
    assert e.cwd == cwd[:THREAD_FIELD_MAX_CHARS]
    assert [entry["event"] for entry in logs] == ["thread_meta.clipped"]
    parts = thread_json({"id": "th", "name": name, "cwd": cwd, "turns": []}, 1.0)
    whole = json.loads("".join(p.data for p in parts))
    assert (whole["name"], whole["cwd"]) == (name, cwd)
