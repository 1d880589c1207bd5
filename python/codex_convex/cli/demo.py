"""``codex-convex demo``: the README's main job."""

from __future__ import annotations

from typing import Annotated

import anyio
import typer

from ._output import console, emit_json, table


def demo(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Run real Codex turns against the scripted model (no API key, nothing leaves 127.0.0.1)."""
    from ..demo import run_demo

    def on_text(s: str) -> None:
        if not json_out:
            console.print(s, end="", markup=False, highlight=False)

    def on_event(s: str) -> None:
        if not json_out:
            console.print(f"[dim]{s}[/dim]")

    reports = anyio.run(lambda: run_demo(on_text, on_event))
    if json_out:
        emit_json([r.__dict__ for r in reports])
        return
    console.print(table("Turns", ["prompt", "status", "items", "deltas", "approvals", "seconds"], [
        [r.prompt, r.status, ", ".join(r.items), r.deltas, ", ".join(r.approvals) or "-", f"{r.seconds:.2f}"]
        for r in reports]))
