"""``codex-convex send CONVERSATION "text"``: give, through Convex, the host driving a conversation a message from any
terminal or machine: it starts a turn with it when Codex is idle, or steers the running turn with it. Waits for the
host to say which (the turn then runs there, replicated as any other: watch it with ``codex-convex ui``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import anyio
import typer

from ..errors import CodexConvexError
from ._output import ExitCode, console, emit_json, failure, success

if TYPE_CHECKING:
    from ..convex_api import Subscriber
    from ..host_api import HostApi
    from ..host_api.models import ClientMessage

SAID = {"started": "a turn started with it", "steered": "it went into the running turn",
        "stale": "no host had the conversation open when it was sent: not run",
        "unconfirmed": "its host took it and was gone before saying what it did: it may have run (see the "
                       "conversation)",
        "failed": "the host could not give it to Codex"}
NOT_RUN = ("stale", "unconfirmed", "failed")


def send(
    conversation: Annotated[str, typer.Argument(help="The conversation whose host should take the message.")],
    text: Annotated[str, typer.Argument(help="The message.")],
    wait_s: Annotated[float, typer.Option("--wait-s", help="How long to wait for the host to take it.")] = 30.0,
    follow: Annotated[bool, typer.Option("--follow", help="Then show the turn's answer as it streams into Convex, "
                                         "until the turn ends.")] = False,
    turn_wait_s: Annotated[float, typer.Option("--turn-wait-s", help="With --follow: how long the turn may "
                                               "take.")] = 600.0,
    plan: Annotated[bool, typer.Option("--plan", help="A turn it starts runs in Codex's plan mode (the host needs "
                                       "the experimental API: codex-convex run --serve has it).")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Send a message to a conversation from any terminal: its host starts a turn with it (Codex idle) or steers the
    running turn with it; --follow then shows the answer as Convex receives it. Exit 1 when the host did neither
    within --wait-s (or, with --follow, the turn did not complete); E_HOST_OFFLINE when no host drives the
    conversation (start one with `codex-convex run --serve --conversation ID`)."""
    sent, done, turn = anyio.run(_send, conversation, text, wait_s, turn_wait_s if follow else None, json_out, plan)
    if json_out:
        emit_json({**(done or sent).model_dump(mode="json", by_alias=True), "taken": done is not None,
                   **({"turn": turn} if follow else {})})
    elif done is None:
        failure(f"the host of {conversation} did not take the message within {wait_s:g} s (it stays queued; a host "
                "that binds the conversation later marks it stale)")
    elif done.state in NOT_RUN:
        failure(f"{conversation}: {SAID[done.state]}{f': {done.error}' if done.error else ''}")
    elif turn is None:
        success(f"{conversation}: {SAID[done.state]} (turn {done.turn_id})")
    else:
        said = f"turn {done.turn_id} {turn['status']}" + (f": {turn['error']}" if turn.get("error") else "")
        (success if turn["status"] == "completed" else failure)(f"{conversation}: {said}")
    if done is None or done.state in NOT_RUN or (follow and (turn or {}).get("status") != "completed"):
        raise typer.Exit(ExitCode.FAILED)


async def _send(conversation: str, text: str, wait_s: float, turn_wait_s: float | None, json_out: bool,
                plan: bool = False) -> tuple[ClientMessage, ClientMessage | None, dict[str, Any] | None]:
    from ..convex_api import ConvexHttp, Subscriber
    from ..deployment import resolve_deployment
    from ..host_api import HostApi, HostSubscriptions

    dep = resolve_deployment()
    async with ConvexHttp(dep.url, token=dep.tokens) as http, Subscriber(dep.url, http=http) as subscriber:
        api = HostApi(http)
        sent = await api.send_client_message(conversation_id=conversation, text=text, plan=plan or None)
        done: ClientMessage | None = None
        with anyio.move_on_after(wait_s):
            async for m in HostSubscriptions(subscriber).get_client_message(message_id=sent.message_id):
                if m is not None and m.state not in ("queued", "taking"):
                    done = m
                    break
        if done is None or done.turn_id is None or turn_wait_s is None:
            return sent, done, None
        with anyio.fail_after(turn_wait_s):
            turn = await _follow(api, subscriber, conversation, done.turn_id, json_out)
        return sent, done, turn


async def _follow(api: HostApi, subscriber: Subscriber, conversation: str, turn_id: str,
                  json_out: bool) -> dict[str, Any]:
    """The turn's answer as Convex receives it (printed as it grows, unless ``json_out``), until the turn ends: its
    status, error and answer (its agent messages, one per line). Streaming text comes as every client gets it
    (``watch_conversation``: the view, and the text of its streaming messages)."""
    from ..host_api.limits import MAX_PAGE_SIZE
    from ..host_api.models import GetTurnFound, Message, NotFound
    from ..runtime.watch import watch_conversation

    printed: dict[str, int] = {}  # characters of each answer printed so far
    last_item: str | None = None  # the answer printed last

    def show(messages: list[Any]) -> list[Message]:
        """The turn's messages, oldest first, printing what its answers gained."""
        nonlocal last_item
        mine = [m for m in messages if isinstance(m, Message) and m.turn_id == turn_id]
        for m in mine:
            if m.role != "assistant" or m.kind != "agentMessage" or len(m.text) <= printed.get(m.item_id, 0):
                continue
            if not json_out:
                if last_item not in (None, m.item_id):
                    console.print()
                console.print(m.text[printed.get(m.item_id, 0):], end="", markup=False, highlight=False)
            printed[m.item_id], last_item = len(m.text), m.item_id
        return mine

    async for snapshot in watch_conversation(subscriber, conversation, page_size=MAX_PAGE_SIZE):
        mine = show(snapshot.messages)
        if any(m.status == "streaming" for m in mine):
            continue
        thread_id = next((m.thread_id for m in mine), None)
        got = await api.get_turn(thread_id=thread_id or "", turn_id=turn_id) if thread_id else None
        if isinstance(got, GetTurnFound) and got.turn.status != "inProgress":
            # read after the turn's end: it holds every message of the turn (the snapshot may predate some)
            final = await api.get_conversation_view(conversation_id=conversation, num_messages=MAX_PAGE_SIZE)
            if not isinstance(final, NotFound):
                mine = show(list(reversed(final.messages)))
            if printed and not json_out:
                console.print()
            answer = [m.text for m in mine if m.role == "assistant" and m.kind == "agentMessage"]
            error = got.turn.error.message if got.turn.error is not None else None
            return {"turnId": turn_id, "status": got.turn.status, "error": error, "text": "\n".join(answer)}
    raise CodexConvexError(f"conversation {conversation} is gone", code="E_CONVERSATION_NOT_FOUND")
