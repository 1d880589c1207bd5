"""``codex-convex stop CONVERSATION``: ask, through Convex, the host driving a conversation to stop Codex (its running
turn interrupted, an active goal paused) and wait for the host to say what it did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import anyio
import typer

from ._output import ExitCode, emit_json, failure, success

if TYPE_CHECKING:
    from ..host_api.models import InterruptRequest


def stop(
    conversation: Annotated[str, typer.Argument(help="The conversation whose host should stop Codex.")],
    wait_s: Annotated[float, typer.Option("--wait-s", help="How long to wait for the host's answer.")] = 30.0,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Stop Codex in a conversation from any terminal: its host interrupts the running turn and pauses an active
    goal. Exit 1 when no host answered within --wait-s (none drives the conversation: the request then waits)."""
    done = anyio.run(_stop, conversation, wait_s)
    if json_out:
        emit_json({"conversationId": conversation, **(done.model_dump(mode="json", by_alias=True) if done else {}),
                   "answered": done is not None})
    elif done is None:
        failure(f"no host answered within {wait_s:g} s: none drives {conversation} now (the request waits; the "
                "next host to bind it leaves its own work alone)")
    else:
        success(f"{conversation}: {'Codex stopped' if done.outcome == 'interrupted' else 'nothing was running'}")
    if done is None:
        raise typer.Exit(ExitCode.FAILED)


async def _stop(conversation: str, wait_s: float) -> InterruptRequest | None:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..host_api import HostApi, HostSubscriptions

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as subscriber:
        asked = await HostApi(http).request_interrupt(conversation_id=conversation)
        with anyio.move_on_after(wait_s):
            async for req in HostSubscriptions(subscriber).get_interrupt_request(conversation_id=conversation):
                if req is not None and req.request_id == asked.request_id and req.handled_at is not None:
                    return req
        return None
