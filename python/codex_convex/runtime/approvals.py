"""Answering Codex's server requests: persisted first, then whichever answers first wins — the Python handler,
or a decision written to Convex by any client of the same user (the host is subscribed). Nothing is accepted by
default: with neither, an approval waits (replica mode) or is declined (codex-only)."""

from __future__ import annotations

import functools
import json
from typing import cast, get_args

import anyio
import structlog

from ..convex_api import Subscriber
from ..errors import ConflictError
from ..host_api import HostApi, HostSubscriptions
from .config import Decision, JsonObject, ServerRequestHandler, ServerRequestInfo

log = structlog.get_logger("codex_convex.approvals")


def _as_result(info: ServerRequestInfo, answer: Decision | JsonObject) -> JsonObject:
    if isinstance(answer, str):
        return {"decision": answer}
    if isinstance(answer, dict):
        return answer
    raise TypeError(f"a server-request handler returned {answer!r}")


async def answer_locally(info: ServerRequestInfo, handler: ServerRequestHandler | None) -> JsonObject:
    """codex-only mode: the handler decides; without one (or with no opinion) approvals are declined."""
    answer = await handler(info) if handler is not None else None
    if answer is None:
        if info.is_approval:
            log.warning("approval.declined_without_handler", method=info.method, request_id=info.request_id)
            return {"decision": "decline"}
        raise ValueError(f"no handler for {info.method}")
    return _as_result(info, answer)


async def answer_via_convex(info: ServerRequestInfo, handler: ServerRequestHandler | None, api: HostApi,
                            subscriber: Subscriber) -> JsonObject:
    """Replica mode: race the handler against a decision stored in Convex; the stored one is the record."""
    stored: JsonObject | None = None

    async with anyio.create_task_group() as tg:
        async def from_handler() -> None:
            nonlocal stored
            if handler is None:
                return
            answer = await handler(info)
            if answer is None:
                return  # no opinion: leave it to Convex
            result = _as_result(info, answer)
            respond = functools.partial(api.respond_server_request, thread_id=info.thread_id, turn_id=info.turn_id,
                                        request_id=info.request_id)
            if info.is_approval:
                decision = result.get("decision")
                if decision not in get_args(Decision):
                    raise TypeError(f"an approval handler answered {answer!r}: give one of {get_args(Decision)}")
                respond = functools.partial(respond, decision=cast(Decision, decision))
            else:
                respond = functools.partial(respond, response_json=json.dumps(result))
            try:  # repeatable (the contract): repeated when its answer was lost; the same answer again returns it
                await respond()
            except ConflictError:  # E_REQUEST_ALREADY_ANSWERED
                return  # another client answered first: its decision (seen by from_convex) stands

        async def from_convex() -> None:
            nonlocal stored
            rows = HostSubscriptions(subscriber).get_server_request(thread_id=info.thread_id, turn_id=info.turn_id,
                                                                    request_id=info.request_id)
            async for row in rows:
                if row is not None and row.decision_json:
                    stored = json.loads(row.decision_json)
                    log.info("approval.answered", method=info.method, by=row.answered_by)
                    tg.cancel_scope.cancel()
                    return

        tg.start_soon(from_handler)
        tg.start_soon(from_convex)
    assert stored is not None
    return stored
