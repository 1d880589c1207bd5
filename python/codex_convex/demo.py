"""The demo behind ``codex-convex demo``: real Codex turns against the scripted model, on this machine only.

Stage 1 (this file today): a text turn streamed live, a command that needs approval, and a file change.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codex import ServerRequest, write_scripted_home
from .codex.session import open_app_server
from .scripted_model import ScriptedModelServer

DEMO_PROMPTS = ["hello from codex-convex", "RUN echo hi > demo.txt", "PATCH notes.md written by Codex"]


@dataclass
class TurnReport:
    prompt: str
    turn_id: str
    status: str
    items: list[str] = field(default_factory=list)
    deltas: int = 0
    approvals: list[str] = field(default_factory=list)
    seconds: float = 0.0


async def run_demo(on_text: Callable[[str], None] = lambda s: None,
                   on_event: Callable[[str], None] = lambda s: None) -> list[TurnReport]:
    reports: list[TurnReport] = []
    approvals: list[str] = []

    async def answer(req: ServerRequest) -> dict[str, Any]:
        # The demo accepts on purpose and says so; the library's default is to ask.
        approvals.append(req.method)
        on_event(f"approval requested: {req.method} → accept (demo policy)")
        return {"decision": "accept"}

    with ScriptedModelServer() as model, tempfile.TemporaryDirectory(prefix="codex-convex-demo-") as tmp:
        home = write_scripted_home(Path(tmp) / "codex-home", model.base_url)
        work = Path(tmp) / "work"
        work.mkdir()
        async with open_app_server(home, cwd=work, on_server_request=answer) as app:
            started = await app.rpc.request("thread/start", {"cwd": str(work)})
            thread_id = started["thread"]["id"]
            on_event(f"thread {thread_id}")
            for prompt in DEMO_PROMPTS:
                approvals.clear()
                t0 = time.perf_counter()
                on_event(f"> {prompt}")
                res = await app.rpc.request("turn/start", {
                    "threadId": thread_id, "input": [{"type": "text", "text": prompt}],
                    "approvalPolicy": "untrusted"})
                report = TurnReport(prompt, res["turn"]["id"], "inProgress")
                while True:
                    n = await app.rpc.next_notification()
                    if n.method == "item/agentMessage/delta":
                        report.deltas += 1
                        on_text(n.params["delta"])
                    elif n.method == "item/completed":
                        report.items.append(n.params["item"]["type"])
                    elif n.method == "turn/completed":
                        report.status = n.params["turn"]["status"]
                        break
                on_text("\n")
                report.approvals = list(approvals)
                report.seconds = time.perf_counter() - t0
                reports.append(report)
    return reports
