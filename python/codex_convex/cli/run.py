"""``codex-convex run "prompt"``: one live turn, streamed, with approvals asked on the terminal (or by policy, or
answered from Convex by ``codex-convex approve`` in another terminal), replicated into Convex; prints where it
lives."""

from __future__ import annotations

import json
import signal
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
    from ..runtime.questions import Question

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
    prompt: Annotated[str | None, typer.Argument(help="What to ask Codex (optional with --serve).")] = None,
    conversation: Annotated[str | None, typer.Option(help="Continue this conversation (resumes its thread).")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then keep hosting the conversation until interrupted: "
                                        "messages from any client (the page, codex-convex send) run here.")] = False,
    approve: Annotated[bool, typer.Option("--approve", help="Accept every approval (use with care).")] = False,
    decline: Annotated[bool, typer.Option("--decline", help="Decline every approval.")] = False,
    scripted: Annotated[bool, typer.Option("--scripted", help="Use the scripted model (no API key; its threads "
                                           "live in the data folder's scripted-codex-home).")] = False,
    wait_s: Annotated[float, typer.Option("--wait-s", help="How long the turn may take, waiting for approvals "
                                          "included.")] = 600.0,
    image: Annotated[list[Path] | None, typer.Option("--image", help="An image file to send with the prompt "
                                                     "(repeat for more).")] = None,
    plan: Annotated[bool, typer.Option("--plan", help="The turn in Codex's plan mode: it explores without changing "
                                       "anything and proposes a plan, shown as it streams; without it, the default "
                                       "mode, even in a conversation planned in before.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run one turn live; with --serve, then host the conversation until interrupted (Ctrl-C), running the messages
    clients send it. Approvals: --approve/--decline, else asked here on a terminal, else answered from Convex
    (codex-convex approve ID from any terminal). Opts in to Codex's experimental API, so that each turn's mode (plan,
    or the default) is set: Codex keeps a thread's mode from turn to turn."""
    if prompt is None and not serve:
        raise typer.BadParameter("give a prompt, or --serve to host the conversation for messages from clients")
    if plan and prompt is None:
        raise typer.BadParameter("--plan needs a prompt: the turn to plan")
    images = image or []
    start = None if prompt is None else (lambda host: host.send(prompt, images=images, plan=plan))
    _turn(start, conversation, approve, decline, scripted, wait_s, json_out, serve, experimental_api=True)


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


Start = Callable[["CodexHost"], Awaitable["TurnResult"]] | None  # the first turn (None: serving only)


def _turn(start: Start, conversation: str | None, approve: bool, decline: bool, scripted: bool, wait_s: float,
          json_out: bool, serve: bool = False, *, experimental_api: bool = False) -> None:
    if approve and decline:
        raise typer.BadParameter("give at most one of --approve and --decline")
    policy = "accept" if approve else "decline" if decline else None
    result = anyio.run(_run, start, conversation, policy, scripted, wait_s, json_out, serve, experimental_api)
    if serve:
        return  # interrupted: every turn was reported as it ended
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


def _line(doc: dict[str, Any]) -> None:
    """One JSON line on stdout (``run --serve --json``: an event per line)."""
    sys.stdout.write(json.dumps(doc, sort_keys=True) + "\n")
    sys.stdout.flush()


async def _run(start: Start, conversation: str | None, policy: str | None, scripted: bool, wait_s: float,
               json_out: bool, serve: bool, experimental_api: bool) -> dict[str, Any]:
    from ..codex import write_scripted_home
    from ..deployment import codex_home, resolve_deployment
    from ..runtime import CodexHost, HostConfig, ServerRequestInfo
    from ..runtime.live_text import LiveText
    from ..runtime.questions import QUESTION_METHOD, questions_of
    from ..scripted_model import ScriptedModelServer
    from .approvals import request_key

    dep = resolve_deployment()
    interactive = sys.stdin.isatty() and not json_out
    waiting: set[str] = set()  # requests to be answered from Convex (their approve ids)
    deadline = time.monotonic() + wait_s

    async def on_request(req: ServerRequestInfo) -> Any:
        if policy is not None and req.is_approval:
            return policy
        if interactive and req.is_approval:
            what = req.params.get("command") or req.params.get("reason") or req.method
            ok = await anyio.to_thread.run_sync(lambda: typer.confirm(f"\nAllow: {what}?", default=False))
            return "accept" if ok else "decline"
        if interactive and req.method == QUESTION_METHOD:
            return await anyio.to_thread.run_sync(lambda: ask_on_terminal(questions_of(req.params)))
        key = request_key(req)
        waiting.add(key)
        if req.method == QUESTION_METHOD:
            asked = "; ".join(q.text for q in questions_of(req.params))
            how = f"{asked}: from any terminal, codex-convex answer {key} TEXT"
        else:
            how = f"from any terminal, codex-convex approve {key}   (or: codex-convex decline {key})"
        console.print(f"\n[yellow]waiting for an answer in Convex[/yellow] ({req.method}): {how}; "
                      f"{max(0, deadline - time.monotonic()):.0f} s left")
        return None

    live = LiveText()
    plan: dict[str, Any] = {}  # the turn's plan as the model last set it
    proposed: list[str] = []  # plan mode's proposed plans, as Codex kept them (item/completed of a plan item)

    def on_note(method: str, params: dict[str, Any]) -> None:
        piece = live.piece(method, params)  # None for a sub-agent's (another thread's) notifications
        if method == "turn/plan/updated" and params.get("threadId") == live.thread_id:
            plan.update(explanation=params.get("explanation"), steps=params.get("plan") or [])
        item = params.get("item") if method == "item/completed" else None
        if isinstance(item, dict) and item.get("type") == "plan" and params.get("threadId") == live.thread_id:
            proposed.append(str(item.get("text") or ""))
        if piece is not None and not json_out:
            kind, text = piece
            console.print(text, end="", markup=False, highlight=False, style=LIVE_STYLES[kind])
        if method == "serverRequest/resolved":
            waiting.difference_update([k for k in waiting if k.endswith(f"/{params.get('requestId')}")])
        if serving and params.get("threadId") == live.thread_id:
            _served(method, params)

    def _served(method: str, params: dict[str, Any]) -> None:
        """While serving: a client's message as it comes in, each turn's end."""
        item = params.get("item") or {}
        if method == "item/started" and item.get("type") == "userMessage" and not json_out:
            said = " ".join(c.get("text", "") for c in item.get("content") or [] if c.get("type") == "text")
            console.print(live.end(), end="")
            console.print(f"[bold]> {said}[/bold]", markup=True, highlight=False)
        elif method == "turn/completed":
            turn = params.get("turn") or {}
            if json_out:
                _line({"event": "turn", "turnId": turn.get("id"), "status": turn.get("status")})
            else:
                console.print(live.end(), end="")
                info(f"[dim]turn {turn.get('id')} · {turn.get('status')}[/dim]")

    async def countdown() -> None:
        while True:
            await anyio.sleep(COUNTDOWN_EVERY_S)
            if waiting:
                console.print(f"[yellow]still waiting[/yellow] for {', '.join(waiting)}: "
                              f"{max(0, deadline - time.monotonic()):.0f} s left")

    serving = False
    r: TurnResult | None = None
    goal = None
    model = ScriptedModelServer().start() if scripted else None
    try:
        home = write_scripted_home(scripted_codex_home(), model.base_url) if model else codex_home()
        cfg = HostConfig(codex_home=home, cwd=Path.cwd(), convex_url=dep.url, token=dep.tokens,
                         on_server_request=on_request, on_notification=on_note, turn_timeout_s=wait_s,
                         experimental_api=experimental_api)
        async with CodexHost(cfg) as host, anyio.create_task_group() as tg:
            tg.start_soon(countdown)
            if conversation:
                await host.resume_conversation(conversation)
            else:
                await host.new_conversation()
            live.thread_id = host.lifecycle_state().thread_id  # the bound thread's text is the one shown
            if start is not None:
                r = await start(host)
                goal = await host.get_goal()
                if serve:
                    _served("turn/completed", {"turn": {"id": r.turn_id, "status": r.status}})
                elif r.status == "completed" and goal is not None:  # Codex may go on by itself: until it stops
                    if goal.status.value == "active" and not json_out:
                        console.print(live.end(), end="")
                        info("[cyan]the goal is active: Codex goes on by itself until it is reached[/cyan]")
                    goal = await host.wait_for_goal()
            if serve:
                serving = True
                await _serve(host, dep.url, scripted, json_out)
            tg.cancel_scope.cancel()
        if not json_out:
            console.print(live.end(), end="")  # the turn's text ends on a line of its own
    finally:
        if model:
            model.stop()
    if r is None:
        return {}
    return {"conversationId": r.conversation_id, "threadId": r.thread_id, "turnId": r.turn_id, "status": r.status,
            "text": r.text, "error": r.error, "plan": plan or None, "proposedPlan": proposed[-1] if proposed else None,
            "goal": None if goal is None else goal.model_dump(mode="json", by_alias=True), "url": dep.url}


async def _serve(host: CodexHost, url: str, scripted: bool, json_out: bool) -> None:
    """Host the bound conversation until SIGINT or SIGTERM: the host runs what clients send it meanwhile (each
    message starts a turn, or steers the running one), answers their stops and resumes, and replicates it all."""
    state = host.lifecycle_state()
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:  # before saying so: a stop may follow
        if json_out:
            _line({"event": "serving", "conversationId": state.conversation_id, "threadId": state.thread_id,
                   "url": url})
        else:
            info(f"[cyan]serving[/cyan] {state.conversation_id}: messages from any client run here (the page, or "
                 f"codex-convex send {state.conversation_id} \"…\"); Ctrl-C to stop")
        async for _ in signals:
            break
    if not json_out:
        info(f"[dim]stopped serving[/dim]  {continue_hint(str(state.conversation_id), scripted)}   # continue it")


def ask_on_terminal(questions: list[Question]) -> dict[str, Any]:
    """Codex's questions asked here, one after the other: an option by its number or its words, or other words where
    the question allows them; the answers as Codex expects them back."""
    from ..errors import CodexConvexError
    from ..runtime.questions import answers_response

    given: dict[str, str] = {}
    for q in questions:
        console.print(f"\n[bold]{q.header or 'Codex asks'}[/bold]: {q.text}", highlight=False)
        for n, option in enumerate(q.options, 1):
            console.print(f"  {n}. {option}", highlight=False)
        while True:
            said = typer.prompt("answer" + (" (a number, or your own words)" if q.options and q.other_allowed
                                            else " (a number)" if q.options else "")).strip()
            pick = int(said) - 1 if said.isdigit() and q.options else -1
            given[q.id] = q.options[pick] if 0 <= pick < len(q.options) else said
            try:
                answers_response([q], {q.id: given[q.id]})
                break
            except CodexConvexError as exc:
                console.print(f"[red]{exc}[/red]")
    return answers_response(questions, given)
