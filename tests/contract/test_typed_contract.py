"""The Python side of the contract is typed end to end: a validator change breaks every Python caller it affects
at type-check time (planted here), the public host API has no ``Any`` in its signatures, and its names are pinned."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import codex_convex
from codex_convex import paths

assert paths.REPO_ROOT is not None
ROOT = paths.REPO_ROOT
CONTRACT_JSON = ROOT / "convex" / "contract" / "host-contract.json"


def _render_and_typecheck(tmp_path: Path, contract: dict[str, object]) -> str:
    """mypy's report on a copy of the package whose generated API comes from ``contract``."""
    pkg = tmp_path / "python" / "codex_convex"
    shutil.copytree(ROOT / "python" / "codex_convex", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    planted = tmp_path / "contract.json"
    planted.write_text(json.dumps(contract, indent=2))
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'node-bin'}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["npx", "--no-install", "tsx", "scripts/hostShim.ts", "--render-python", str(planted),
                    str(pkg / "host_api" / "_generated")], cwd=ROOT / "convex", env=env, check=True,
                   capture_output=True, timeout=300)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    return done.stdout


@pytest.mark.timeout(900)
def test_a_changed_validator_breaks_every_python_caller_at_type_check(tmp_path: Path) -> None:
    contract = json.loads(CONTRACT_JSON.read_text())
    text = json.dumps(contract)
    # Plant two changes a component author could make: a result field renamed (SyncJob.processedRecords) and an
    # argument's type changed (getTurn's afterOrdinal from a number to a string).
    assert '"processedRecords"' in text
    text = text.replace('"processedRecords"', '"recordsDone"')
    contract = json.loads(text)
    get_turn = contract["endpoints"]["getTurn"]["args"]
    get_turn["afterOrdinal"]["fieldType"] = {"type": "string"}
    report = _render_and_typecheck(tmp_path, contract)
    errors = [line for line in report.splitlines() if ": error:" in line]
    # every caller reading the renamed field, and the one passing the changed argument
    flagged = {line.split(":")[0].replace("\\", "/").split("codex_convex/")[-1] for line in errors}
    assert {"runtime/watch.py", "cli/sync.py", "cli/demo.py"} <= flagged, report
    assert any("host_api/reads.py" in e and "after_ordinal" in e for e in errors), report
    assert any("processed_records" in e for e in errors), report


def test_the_unchanged_contract_type_checks(tmp_path: Path) -> None:
    report = _render_and_typecheck(tmp_path, json.loads(CONTRACT_JSON.read_text()))
    assert "Success: no issues found" in report, report


# ----- the public host API ---------------------------------------------------------------------------------------

def _public_callables() -> dict[str, object]:
    from codex_convex.host_api import HostApi, HostSubscriptions
    from codex_convex.runtime import CodexHost, watch_conversation, watch_deletion, watch_message_text
    from codex_convex.sync import import_thread

    out: dict[str, object] = {"watch_conversation": watch_conversation, "watch_deletion": watch_deletion,
                              "watch_message_text": watch_message_text, "import_thread": import_thread}
    for cls in (CodexHost, HostApi, HostSubscriptions):
        for name, member in inspect.getmembers(cls):
            if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                out[f"{cls.__name__}.{name}"] = member.fget if isinstance(member, property) else member
    return out


def _mentions_any(tp: object) -> bool:
    if tp is typing.Any:
        return True
    return any(_mentions_any(a) for a in typing.get_args(tp))


def test_no_any_in_the_public_host_api_signatures() -> None:
    offenders = []
    for name, fn in _public_callables().items():
        hints = typing.get_type_hints(fn)
        offenders += [f"{name} {param}" for param, tp in hints.items() if _mentions_any(tp)]
    assert offenders == [], offenders
    assert len(_public_callables()) > 90  # the whole surface was inspected


PUBLIC_API = {
    "codex_convex.runtime": [
        "AppServerOpener", "Coalescing", "CodexHost", "ConversationSnapshot", "Decision", "HostConfig", "HostMode",
        "HostNotRunningError", "HostPhase", "JsonObject", "LifecycleSource", "LifecycleState", "NoThreadError",
        "OptimisticMessage", "ServerRequestHandler", "ServerRequestInfo", "SyncProgress", "ThreadInfo",
        "ThreadListing", "TurnResult", "watch_conversation", "watch_deletion", "watch_message_text"],
    "codex_convex.host_api": [
        "ALLOW_ANONYMOUS", "CONTRACT_VERSION", "ENDPOINTS", "HostApi", "HostApiBase", "HostSubscriptions",
        "HostSubscriptionsBase", "Number", "Page", "WireModel", "limits", "models"],
    "codex_convex.sync": [
        "Chunk", "ImportResult", "RecordTooLargeError", "SyncFailedError", "chunk_records", "import_thread",
        "root_hash", "thread_records"],
    "codex_convex.events": [
        "DELTA_MAX_CHARS", "PART_MAX_BYTES", "REASONING_PART_SEPARATOR", "item_events", "error_notice", "goal_event",
        "message_deltas", "message_view", "plan_event",
        "server_request", "server_request_resolved", "split_text", "thread_meta", "token_usage", "turn_completed",
        "turn_error", "turn_started", "utf16_len", "view_events", "canonical_json", "thread_json", "turn_digest",
        "turn_json", "warning_notice"],
    "codex_convex.replication": ["Coalescing", "EventMapper", "ReplicationError", "Replicator"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_API))
def test_the_public_api_is_pinned(module: str) -> None:
    """A name added to or removed from a public ``__all__`` is a decision: update this list with it."""
    import importlib

    assert sorted(importlib.import_module(module).__all__) == sorted(PUBLIC_API[module])


def test_the_package_declares_its_types() -> None:
    assert (Path(codex_convex.__file__).parent / "py.typed").exists()
