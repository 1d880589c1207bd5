"""``codex-convex run "prompt"``: one live turn, streamed, with approvals asked on the terminal (or by policy),
replicated into Convex; prints where it lives."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from ._output import ExitCode, console, emit_json, failure, info


def run(
    prompt: Annotated[str, typer.Argument(help="What to ask Codex.")],
    conversation: Annotated[str | None, typer.Option(help="Continue this conversation (resumes its thread).")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Accept every approval (use with care).")] = False,
    decline: Annotated[bool, typer.Option("--decline", help="Decline every approval.")] = False,
    scripted: Annotated[bool, typer.Option("--scripted", help="Use the scripted model (no API key; a fresh "
                                           "CODEX_HOME).")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run one turn live. Approvals: --approve/--decline, else asked here on a terminal, else answered from Convex."""
    if approve and decline:
        failure("give at most one of --approve and --decline")
        raise typer.Exit(ExitCode.USAGE)
    policy = "accept" if approve else "decline" if decline else None
    result = anyio.run(_run, prompt, conversation, policy, scripted, json_out)
    if json_out:
        emit_json(result)
    else:
        info(f"\n[bold]conversation[/bold] {result['conversationId']}  [dim]thread {result['threadId']} · turn "
             f"{result['turnId']} · {result['status']} · {result['url']}[/dim]")
        info(f"  codex-convex run --conversation {result['conversationId']} \"…\"   # continue it")
    if result["status"] != "completed":
        raise typer.Exit(ExitCode.FAILED)


async def _run(prompt: str, conversation: str | None, policy: str | None, scripted: bool,
               json_out: bool) -> dict[str, Any]:
    from ..codex import write_scripted_home
    from ..deployment import codex_home, resolve_deployment
    from ..runtime import CodexHost, HostConfig, ServerRequestInfo
    from ..scripted_model import ScriptedModelServer

    dep = resolve_deployment()
    interactive = sys.stdin.isatty() and not json_out

    async def on_request(req: ServerRequestInfo) -> Any:
        if policy is not None:
            return policy if req.is_approval else None
        if interactive and req.is_approval:
            what = req.params.get("command") or req.params.get("reason") or req.method
            ok = await anyio.to_thread.run_sync(lambda: typer.confirm(f"\nAllow: {what}?", default=False))
            return "accept" if ok else "decline"
        if not json_out:
            console.print(f"\n[yellow]waiting for a decision in Convex[/yellow] ({req.method}): from another "
                          f"terminal, codex-convex approvals answer {req.thread_id} {req.turn_id} {req.request_id} "
                          "--accept (or --decline), or respondServerRequest from any client")
        return None

    def on_note(method: str, params: dict[str, Any]) -> None:
        if not json_out and method == "item/agentMessage/delta":
            console.print(params["delta"], end="", markup=False, highlight=False)

    with tempfile.TemporaryDirectory(prefix="codex-convex-run-") as tmp:
        model = ScriptedModelServer().start() if scripted else None
        try:
            home = write_scripted_home(Path(tmp) / "home", model.base_url) if model else codex_home()
            cfg = HostConfig(codex_home=home, cwd=Path.cwd(), convex_url=dep.url, token=dep.tokens,
                             on_server_request=on_request, on_notification=on_note)
            async with CodexHost(cfg) as host:
                if conversation:
                    await host.resume_conversation(conversation)
                else:
                    await host.new_conversation()
                r = await host.send(prompt)
        finally:
            if model:
                model.stop()
    return {"conversationId": r.conversation_id, "threadId": r.thread_id, "turnId": r.turn_id, "status": r.status,
            "text": r.text, "error": r.error, "url": dep.url}
