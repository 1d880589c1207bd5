"""``codex-convex run "prompt"``: one live turn, streamed, with approvals asked on the terminal (or by policy, or
answered from Convex by ``codex-convex approve`` in another terminal), replicated into Convex; prints where it
lives."""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer

from ._output import ExitCode, console, emit_json, info

if TYPE_CHECKING:
    from ..runtime import CodexHost, TurnResult

COUNTDOWN_EVERY_S = 15.0
# How the turn's streamed text prints (runtime.live_text): the answer plain, reasoning and command output dimmed, the
# plan in cyan.
LIVE_STYLES = {"answer": "", "thinking": "dim italic", "output": "dim", "plan": "cyan", "tool": "magenta",
               "goal": "cyan"}


def scripted_codex_home() -> Path:
    """Where ``--scripted`` runs keep their Codex threads (so ``run --conversation``, ``sync`` and ``approvals``
    work on them afterwards)."""
    from .. import paths

    return paths.state_dir() / "scripted-codex-home"


def run(
    prompt: Annotated[str, typer.Argument(help="What to ask Codex.")],
    conversation: Annotated[str | None, typer.Option(help="Continue this conversation (resumes its thread).")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Accept every approval (use with care).")] = False,
    decline: Annotated[bool, typer.Option("--decline", help="Decline every approval.")] = False,
    scripted: Annotated[bool, typer.Option("--scripted", help="Use the scripted model (no API key; its threads "
                                           "live in the data folder's scripted-codex-home).")] = False,
    wait_s: Annotated[float, typer.Option("--wait-s", help="How long the turn may take, waiting for approvals "
                                          "included.")] = 600.0,
    image: Annotated[list[Path] | None, typer.Option("--image", help="An image file to send with the prompt "
                                                     "(repeat for more).")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run one turn live. Approvals: --approve/--decline, else asked here on a terminal, else answered from Convex
    (codex-convex approve ID from any terminal)."""
    images = image or []
    _turn(lambda host: host.send(prompt, images=images), conversation, approve, decline, scripted, wait_s, json_out)


def review(
    instructions: Annotated[str | None, typer.Argument(help="What to review, in words (default: the uncommitted "
                                                       "changes).")] = None,
    base: Annotated[str | None, typer.Option("--base", help="Review the changes against this branch.")] = None,
    commit: Annotated[str | None, typer.Option("--commit", help="Review this commit.")] = None,
    conversation: Annotated[str | None, typer.Option(help="Review in this conversation (resumes its thread).")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Accept every approval (use with care).")] = False,
    decline: Annotated[bool, typer.Option("--decline", help="Decline every approval.")] = False,
    scripted: Annotated[bool, typer.Option("--scripted", help="Use the scripted model (no API key).")] = False,
    wait_s: Annotated[float, typer.Option("--wait-s", help="How long the review may take.")] = 600.0,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Codex's /review as a live turn: the uncommitted changes, or --base BRANCH, --commit SHA, or INSTRUCTIONS;
    the review prints, and lands in the conversation like any turn."""
    if sum(x is not None for x in (instructions, base, commit)) > 1:
        raise typer.BadParameter("give at most one of INSTRUCTIONS, --base and --commit")
    _turn(lambda host: host.review(base_branch=base, commit=commit, instructions=instructions), conversation,
          approve, decline, scripted, wait_s, json_out)


def _turn(start: Callable[[CodexHost], Awaitable[TurnResult]], conversation: str | None, approve: bool,
          decline: bool, scripted: bool, wait_s: float, json_out: bool) -> None:
    if approve and decline:
        raise typer.BadParameter("give at most one of --approve and --decline")
    policy = "accept" if approve else "decline" if decline else None
    result = anyio.run(_run, start, conversation, policy, scripted, wait_s, json_out)
    if json_out:
        emit_json(result)
    else:
        info(f"[bold]conversation[/bold] {result['conversationId']}  [dim]thread {result['threadId']} · turn "
             f"{result['turnId']} · {result['status']} · {result['url']}[/dim]")
        info(f"  {continue_hint(result['conversationId'], scripted)}   # continue it")
    if result["status"] != "completed":
        raise typer.Exit(ExitCode.FAILED)


def continue_hint(conversation_id: str, scripted: bool) -> str:
    return f"codex-convex run{' --scripted' if scripted else ''} --conversation {conversation_id} \"…\""


async def _run(start: Callable[[CodexHost], Awaitable[TurnResult]], conversation: str | None, policy: str | None,
               scripted: bool, wait_s: float, json_out: bool) -> dict[str, Any]:
    from ..codex import write_scripted_home
    from ..deployment import codex_home, resolve_deployment
    from ..runtime import CodexHost, HostConfig, ServerRequestInfo
    from ..runtime.live_text import LiveText
    from ..scripted_model import ScriptedModelServer
    from .approvals import request_key

    dep = resolve_deployment()
    interactive = sys.stdin.isatty() and not json_out
    waiting: set[str] = set()  # requests to be answered from Convex (their approve ids)
    deadline = time.monotonic() + wait_s

    async def on_request(req: ServerRequestInfo) -> Any:
        if policy is not None:
            return policy if req.is_approval else None
        if interactive and req.is_approval:
            what = req.params.get("command") or req.params.get("reason") or req.method
            ok = await anyio.to_thread.run_sync(lambda: typer.confirm(f"\nAllow: {what}?", default=False))
            return "accept" if ok else "decline"
        key = request_key(req)
        waiting.add(key)
        console.print(f"\n[yellow]waiting for an answer in Convex[/yellow] ({req.method}): from any terminal, "
                      f"codex-convex approve {key}   (or: codex-convex decline {key}); "
                      f"{max(0, deadline - time.monotonic()):.0f} s left")
        return None

    live = LiveText()
    plan: dict[str, Any] = {}  # the turn's plan as the model last set it

    def on_note(method: str, params: dict[str, Any]) -> None:
        piece = live.piece(method, params)  # None for a sub-agent's (another thread's) notifications
        if method == "turn/plan/updated" and params.get("threadId") == live.thread_id:
            plan.update(explanation=params.get("explanation"), steps=params.get("plan") or [])
        if piece is not None and not json_out:
            kind, text = piece
            console.print(text, end="", markup=False, highlight=False, style=LIVE_STYLES[kind])
        if method == "serverRequest/resolved":
            waiting.difference_update([k for k in waiting if k.endswith(f"/{params.get('requestId')}")])

    async def countdown() -> None:
        while True:
            await anyio.sleep(COUNTDOWN_EVERY_S)
            if waiting:
                console.print(f"[yellow]still waiting[/yellow] for {', '.join(waiting)}: "
                              f"{max(0, deadline - time.monotonic()):.0f} s left")

    model = ScriptedModelServer().start() if scripted else None
    try:
        home = write_scripted_home(scripted_codex_home(), model.base_url) if model else codex_home()
        cfg = HostConfig(codex_home=home, cwd=Path.cwd(), convex_url=dep.url, token=dep.tokens,
                         on_server_request=on_request, on_notification=on_note, turn_timeout_s=wait_s)
        async with CodexHost(cfg) as host, anyio.create_task_group() as tg:
            tg.start_soon(countdown)
            if conversation:
                await host.resume_conversation(conversation)
            else:
                await host.new_conversation()
            r = await start(host)
            goal = await host.get_goal()
            if r.status == "completed" and goal is not None:  # Codex may go on by itself: until it stops
                if goal.status.value == "active" and not json_out:
                    console.print(live.end(), end="")
                    info("[cyan]the goal is active: Codex goes on by itself until it is reached[/cyan]")
                goal = await host.wait_for_goal()
            tg.cancel_scope.cancel()
        if not json_out:
            console.print(live.end(), end="")  # the turn's text ends on a line of its own
    finally:
        if model:
            model.stop()
    return {"conversationId": r.conversation_id, "threadId": r.thread_id, "turnId": r.turn_id, "status": r.status,
            "text": r.text, "error": r.error, "plan": plan or None,
            "goal": None if goal is None else goal.model_dump(mode="json", by_alias=True), "url": dep.url}
