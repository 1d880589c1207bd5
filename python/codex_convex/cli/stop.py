"""``codex-convex stop CONVERSATION``, ``codex-convex resume-goal CONVERSATION`` and ``codex-convex goal CONVERSATION
OBJECTIVE``: ask, through Convex, the host driving a conversation to stop Codex (its running turn interrupted, an
active goal paused), to resume the thread's goal (Codex then goes on by itself) or to give the thread a new goal
(Codex then works toward it), and wait for the host to say what it did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import anyio
import typer

from ._output import ExitCode, emit_json, failure, success

if TYPE_CHECKING:
    from ..host_api.models import InterruptRequest

Action = Literal["interrupt", "resumeGoal", "setGoal"]
ConversationArg = Annotated[str, typer.Argument(help="The conversation whose host should act.")]
WaitOpt = Annotated[float, typer.Option("--wait-s", help="How long to wait for the host's answer.")]
JsonOpt = Annotated[bool, typer.Option("--json")]
SAID = {"interrupted": "Codex stopped", "idle": "nothing was running", "resumed": "the goal is active again: Codex "
        "goes on by itself", "noGoal": "the thread has no goal to resume", "goalSet": "the thread has the new goal, "
        "active: Codex works toward it", "failed": "the host could not do it (Codex refused it or went away "
        "meanwhile: see the host's log)", "superseded": "a newer request came first"}
FAILED = ("noGoal", "failed", "superseded")


def stop(conversation: ConversationArg, wait_s: WaitOpt = 30.0, json_out: JsonOpt = False) -> None:
    """Stop Codex in a conversation from any terminal: its host interrupts the running turn and pauses an active
    goal. Exit 1 when no host answered within --wait-s (none drives the conversation: the request then waits)."""
    _ask("interrupt", conversation, wait_s, json_out)


def resume_goal(conversation: ConversationArg, wait_s: WaitOpt = 30.0, json_out: JsonOpt = False) -> None:
    """Resume the thread's goal from any terminal (after a stop, or a budget raised): its host sets the goal active
    and Codex goes on by itself. Exit 1 when no host answered within --wait-s, or the thread has no goal."""
    _ask("resumeGoal", conversation, wait_s, json_out)


def goal(conversation: ConversationArg,
         objective: Annotated[str, typer.Argument(help="What Codex works toward (replaces the thread's goal).")],
         wait_s: WaitOpt = 30.0, json_out: JsonOpt = False) -> None:
    """Give a conversation's thread a new goal from any terminal: its host sets it, active, and Codex works toward it
    on its own, turn after turn, until it is complete. Exit 1 when no host answered within --wait-s, or Codex refused
    the goal."""
    _ask("setGoal", conversation, wait_s, json_out, objective)


def _ask(action: Action, conversation: str, wait_s: float, json_out: bool, objective: str = "") -> None:
    done = anyio.run(_request, action, conversation, wait_s, objective)
    if json_out:
        emit_json({"conversationId": conversation, **(done.model_dump(mode="json", by_alias=True) if done else {}),
                   "answered": done is not None})
    elif done is None:
        failure(f"no host answered within {wait_s:g} s: none drives {conversation} now (the request waits; the "
                "next host to bind it leaves its own work alone)")
    elif done.outcome in FAILED:
        failure(f"{conversation}: {SAID[str(done.outcome)]}")
    else:
        success(f"{conversation}: {SAID.get(str(done.outcome), str(done.outcome))}")
    if done is None or done.outcome in FAILED:
        raise typer.Exit(ExitCode.FAILED)


async def _request(action: Action, conversation: str, wait_s: float, objective: str) -> InterruptRequest | None:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..host_api import HostApi, HostSubscriptions

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as subscriber:
        api = HostApi(http)
        if action == "setGoal":
            asked = await api.request_goal(conversation_id=conversation, objective=objective)
        else:
            asked = await (api.request_goal_resume if action == "resumeGoal" else api.request_interrupt)(
                conversation_id=conversation)
        with anyio.move_on_after(wait_s):
            async for req in HostSubscriptions(subscriber).get_interrupt_request(conversation_id=conversation):
                if req is not None and req.request_id == asked.request_id and req.handled_at is not None:
                    return req
        return None
