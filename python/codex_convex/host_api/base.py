"""What the generated endpoint API stands on: one :class:`ConvexHttp` (calls) or :class:`Subscriber` (watches),
arguments dumped from models with unset ones dropped, results validated into the contract's models."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from functools import cache
from typing import Any, Literal, TypeVar, overload

from pydantic import BaseModel, TypeAdapter

from ..convex_api import ConvexHttp, Subscriber

T = TypeVar("T", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


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


class Watch(AsyncIterator[T]):
    """One query's results, validated (what a :class:`HostSubscriptionsBase` method returns): iterate it, or pass
    it with others to :meth:`HostSubscriptionsBase.together`. Nothing is subscribed until then."""

    def __init__(self, subscriber: Subscriber, path: str, args: dict[str, Any], result: Any) -> None:
        self.subscriber, self.path, self.args, self.result = subscriber, path, wire_args(args), result
        self._values: AsyncGenerator[T, None] | None = None

    def __aiter__(self) -> Watch[T]:
        return self

    async def __anext__(self) -> T:
        if self._values is None:
            self._values = self._parsed()
        return await anext(self._values)

    async def _parsed(self) -> AsyncGenerator[T, None]:
        async for raw in self.subscriber.watch(self.path, self.args):
            yield parse(self.result, raw)

    async def aclose(self) -> None:
        if self._values is not None:
            await self._values.aclose()


class HostSubscriptionsBase:
    """Subscribes to the app's host shim queries through the official client (:class:`Subscriber`)."""

    def __init__(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber

    def _watch(self, path: str, args: dict[str, Any], result: Any) -> Watch[Any]:
        return Watch(self.subscriber, path, args, result)

    @overload
    def together(self, a: Watch[A], b: Watch[B], /) -> AsyncIterator[tuple[A, B]]: ...

    @overload
    def together(self, a: Watch[A], b: Watch[B], c: Watch[C], /) -> AsyncIterator[tuple[A, B, C]]: ...

    def together(self, *watches: Watch[object]) -> AsyncIterator[tuple[object, ...]]:
        """The latest result of each watch, again whenever one of them changed, with one wait on the client for all
        (:meth:`Subscriber.watch_many`). Only a changed result is validated again."""
        return self._together(watches)

    async def _together(self, watches: tuple[Watch[object], ...]) -> AsyncIterator[tuple[object, ...]]:
        raws: list[object] = [_UNSET] * len(watches)
        parsed: list[object] = [None] * len(watches)
        async for latest in self.subscriber.watch_many([(w.path, w.args) for w in watches]):
            for i, (w, raw) in enumerate(zip(watches, latest, strict=True)):
                if raw is not raws[i]:
                    raws[i], parsed[i] = raw, parse(w.result, raw)
            yield tuple(parsed)


_UNSET = object()
