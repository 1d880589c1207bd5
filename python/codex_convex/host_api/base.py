"""What the generated endpoint API stands on: one :class:`ConvexHttp` (calls) or :class:`Subscriber` (watches),
arguments dumped from models with unset ones dropped, results validated into the contract's models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from ..convex_api import ConvexHttp, Subscriber


@cache
def _adapter(result: Any) -> TypeAdapter[Any]:
    return TypeAdapter(result)


def wire_args(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments as Convex takes them: models dumped (camelCase), ``None`` (an unset optional argument) dropped."""
    return {k: _wire(v) for k, v in args.items() if v is not None}


def _wire(v: Any) -> Any:
    if isinstance(v, BaseModel):
        return v.model_dump(by_alias=True, mode="json")
    if isinstance(v, list):
        return [_wire(x) for x in v]
    return v


def parse(result: Any, raw: Any) -> Any:
    """A function's raw JSON result validated as the contract's type for it."""
    return _adapter(result).validate_python(raw)


class HostApiBase:
    """Calls the app's host shim (``chat:*``) over HTTP with the caller's token."""

    def __init__(self, http: ConvexHttp) -> None:
        self.http = http

    async def _call(self, kind: Literal["query", "mutation"], path: str, args: dict[str, Any], result: Any,
                    repeatable: bool = False) -> Any:
        """``repeatable``: the contract marks the mutation safe to send again after a lost answer (see ConvexHttp)."""
        clean = wire_args(args)
        raw = await (self.http.query(path, clean) if kind == "query"
                     else self.http.mutation(path, clean, repeatable=repeatable))
        return parse(result, raw)


class HostSubscriptionsBase:
    """Subscribes to the app's host shim queries through the official client (:class:`Subscriber`)."""

    def __init__(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber

    async def _watch(self, path: str, args: dict[str, Any], result: Any) -> AsyncIterator[Any]:
        async for raw in self.subscriber.watch(path, wire_args(args)):
            yield parse(result, raw)
