"""The upgrade fixture (DESIGN §13): data written by a release, and that release's answers to every read of it.

A deployed component holds its users' data: the next release must load every document the previous one wrote and
answer the same reads the same way. This script runs the README's demo (real Codex turns, an approval, a file
change, an imported thread) against a fresh local backend *with a release's own code*, adds a cancelled deletion,
then writes, into OUT_DIR:

- ``export.zip``: every document, in the layout ``npx convex import`` reads (``codex-convex backend export``);
- ``reads.json``: the release's answers to every read of the host contract over it (:func:`snapshot`);
- ``release.json``: which release wrote them.

tests/upgrade/test_previous_release.py loads the export into the current code and compares. Make a new fixture
when a release changes the schema (keep the old ones)::

    git worktree add /tmp/release REV && (cd /tmp/release && make setup)
    cd /tmp/release && PATH="$PWD/.venv/node-bin:$PATH" .venv/bin/python /path/to/tools/upgrade_fixture.py \\
        /path/to/tests/upgrade/fixtures/REV

Only the release's public pieces are used (LocalBackend, mint_dev_token, run_demo, export_zip, the HTTP API), so
the same script runs on older and newer trees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

SUBJECT = "demo-user"
# Page cursors are opaque and may change between releases: compared as present, not by value.
OPAQUE = {"continueCursor", "splitCursor"}


class Reader:
    """Calls the app's public functions over Convex's HTTP API as the demo's user."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    def call(self, kind: str, name: str, **args: Any) -> Any:
        r = self.client.post(f"/api/{kind}", json={"path": f"chat:{name}", "args": args, "format": "json"})
        body = r.json()
        if body.get("status") != "success":
            raise RuntimeError(f"chat:{name}({args}) failed: {body}")
        return body["value"]

    def query(self, name: str, **args: Any) -> Any:
        return self.call("query", name, **args)

    def pages(self, name: str, size: int = 100, **args: Any) -> list[Any]:
        """Every row of a paginated read, page by page."""
        rows: list[Any] = []
        cursor = None
        while True:
            page = self.query(name, paginationOpts={"numItems": size, "cursor": cursor}, **args)
            rows += page["page"]
            if page["isDone"]:
                return rows
            cursor = page["continueCursor"]


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<cursor>" if k in OPAQUE and v is not None else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def snapshot(url: str, token: str) -> dict[str, Any]:
    """Every read of the host contract over the user's data: conversations, their views, messages, threads, turns
    (each read whole), thread JSON, sync state, token usage, requests, sync jobs and sources, deletion jobs; and,
    when the release has them, interrupt requests and sub-agents."""
    r = Reader(url, token)
    later = {n for n in ("requestInterrupt", "listConversationAgents") if _has(r, n)}
    out: dict[str, Any] = {"conversations": {}, "threads": {}}
    conversations = r.pages("listConversations", includeArchived=True)
    out["listConversations"] = conversations
    for c in conversations:
        cid = c["conversationId"]
        threads = r.query("listThreadsForConversation", conversationId=cid, includeArchived=True)
        out["conversations"][cid] = {
            "getConversation": r.query("getConversation", conversationId=cid),
            "getConversationSummary": r.query("getConversationSummary", conversationId=cid),
            "getConversationView": r.query("getConversationView", conversationId=cid, numMessages=200),
            "listMessages": r.pages("listMessages", conversationId=cid),
            "listThreadsForConversation": threads,
            "listConversationForks": r.query("listConversationForks", conversationId=cid),
            "getTokenUsage": r.query("getTokenUsage", conversationId=cid),
            "listPendingServerRequests": r.query("listPendingServerRequests", conversationId=cid),
            "listConversationSyncJobs": r.pages("listConversationSyncJobs", conversationId=cid),
        }
        for t in threads:
            tid = t["threadId"]
            turns = r.pages("listTurns", threadId=tid)
            out["threads"][tid] = {
                "listTurns": turns,
                "getTurn": {u["turnId"]: r.query("getTurn", threadId=tid, turnId=u["turnId"]) for u in turns},
                "getThreadJson": r.query("getThreadJson", threadId=tid),
                "getThreadSyncState": r.query("getThreadSyncState", threadId=tid),
            }
        if "requestInterrupt" in later:
            out["conversations"][cid]["getInterruptRequest"] = r.query("getInterruptRequest", conversationId=cid)
        if "listConversationAgents" in later:
            out["conversations"][cid]["listConversationAgents"] = r.query("listConversationAgents",
                                                                          conversationId=cid)
    out["listConversationSyncSources"] = r.pages("listConversationSyncSources")
    out["listDeletionJobs"] = r.pages("listDeletionJobs")
    return _scrub(out)


def _has(reader: Reader, name: str) -> bool:
    """Whether the release's app has the public function ``chat:name`` (the script also runs on older trees)."""
    try:
        reader.query(name)
    except RuntimeError as exc:
        return "Could not find public function" not in str(exc)
    return True


def _later_rows(reader: Reader, conversation: str) -> None:
    """Rows of what releases added after the demo first ran, when this release has it: a goal on the live thread
    (a threadGoal event, as the host writes it) and an interrupt request no host handled."""
    if _has(reader, "requestInterrupt"):
        reader.call("mutation", "requestInterrupt", conversationId=conversation)
        thread = reader.query("listThreadsForConversation", conversationId=conversation)[0]["threadId"]
        goal = {"objective": "keep the docs tidy", "status": "paused", "tokenBudget": 5000, "tokensUsed": 120,
                "timeUsedSeconds": 3, "createdAt": 1_796_000_000, "updatedAt": 1_796_000_003}
        reader.call("mutation", "ingestEvents", conversationId=conversation, streamId="upgrade-fixture", seq=0,
                    events=[{"type": "threadGoal", "threadId": thread, "goal": goal, "at": 1_796_000_003_000}])


def main(out: Path) -> None:
    import anyio

    from codex_convex.backend import LocalBackend, mint_dev_token
    from codex_convex.backend.transfer import export_zip
    from codex_convex.demo import run_demo

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, LocalBackend(Path(tmp) / "backend") as backend:
        assert backend.info is not None
        token = mint_dev_token(backend.data_dir, SUBJECT)
        os.environ.update(CONVEX_URL=backend.url, CONVEX_TOKEN=token)
        report = anyio.run(run_demo)
        reader = Reader(backend.url, token)
        # a deletion scheduled for later and cancelled: a deletion job row of every kind the release writes
        thread = reader.query("listThreadsForConversation", conversationId=report.imported_conversation)[0]["threadId"]
        job = reader.call("mutation", "scheduleDeleteThread", threadId=thread, delayMs=3_600_000)
        reader.call("mutation", "cancelDeletion", jobId=job["jobId"])
        _later_rows(reader, report.live_conversation)
        reads = snapshot(backend.url, token)
        counts = export_zip(backend.url, backend.info.admin_key, out / "export.zip")
    (out / "reads.json").write_text(json.dumps(reads, indent=1, sort_keys=True) + "\n")
    git = ["git", "log", "-1", "--format=%H %cI"]
    rev = subprocess.run(git, capture_output=True, text=True, check=True).stdout.split()
    (out / "release.json").write_text(json.dumps({
        "commit": rev[0], "committed": rev[1], "liveConversation": report.live_conversation,
        "importedConversation": report.imported_conversation, "documents": counts,
    }, indent=1, sort_keys=True) + "\n")
    print(json.dumps({"out": str(out), "documents": sum(counts.values())}))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
