"""``codex-convex send CONVERSATION "text"``: give, through Convex, the host driving a conversation a message from any
terminal or machine: it starts a turn with it when Codex is idle, or steers the running turn with it. Waits for the
host to say which (the turn then runs there, replicated as any other: watch it with ``codex-convex ui``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import anyio
import typer

from ._output import ExitCode, emit_json, failure, success

if TYPE_CHECKING:
    from ..host_api.models import ClientMessage

SAID = {"started": "a turn started with it", "steered": "it went into the running turn",
        "stale": "no host had the conversation open when it was sent: not run",
        "failed": "the host could not give it to Codex"}


def send(
    conversation: Annotated[str, typer.Argument(help="The conversation whose host should take the message.")],
    text: Annotated[str, typer.Argument(help="The message.")],
    wait_s: Annotated[float, typer.Option("--wait-s", help="How long to wait for the host to take it.")] = 30.0,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Send a message to a conversation from any terminal: its host starts a turn with it (Codex idle) or steers the
    running turn with it. Exit 1 when the host did neither within --wait-s; E_HOST_OFFLINE when no host drives the
    conversation (start one with `codex-convex run --serve --conversation ID`)."""
    sent, done = anyio.run(_send, conversation, text, wait_s)
    if json_out:
        emit_json({**(done or sent).model_dump(mode="json", by_alias=True), "taken": done is not None})
    elif done is None:
        failure(f"the host of {conversation} did not take the message within {wait_s:g} s (it stays queued; a host "
                "that binds the conversation later marks it stale)")
    elif done.state in ("stale", "failed"):
        failure(f"{conversation}: {SAID[done.state]}{f': {done.error}' if done.error else ''}")
    else:
        success(f"{conversation}: {SAID[done.state]} (turn {done.turn_id})")
    if done is None or done.state in ("stale", "failed"):
        raise typer.Exit(ExitCode.FAILED)


async def _send(conversation: str, text: str, wait_s: float) -> tuple[ClientMessage, ClientMessage | None]:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..host_api import HostApi, HostSubscriptions

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as subscriber:
        sent = await HostApi(http).send_client_message(conversation_id=conversation, text=text)
        with anyio.move_on_after(wait_s):
            async for m in HostSubscriptions(subscriber).get_client_message(message_id=sent.message_id):
                if m is not None and m.state != "queued":
                    return sent, m
        return sent, None
