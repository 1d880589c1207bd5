"""Subscriptions through the official ``convex`` client's ``async for`` (the only call of it that does not hold the
GIL while waiting). Never mix with its sync ``next()``; every wait here has a deadline.

The official client never raises on a refused token (it reconnects forever), so :meth:`Subscriber.watch` first
runs the query once over HTTP, which raises typed errors for a bad URL, token or argument. Tokens that expire are
renewed by :meth:`Subscriber.keep_auth_fresh` (run it beside the subscriptions); when no fresh token can be had,
every watch ends with :class:`ConvexAuthError` instead of waiting on a socket that reconnects forever.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import anyio
import anyio.lowlevel
import convex
from anyio.abc import TaskGroup

from ..errors import ConvexApiError, ConvexAuthError, RpcTimeoutError
from .auth import TokenProvider, TokenSource, jwt_expiry
from .errors import error_from_data
from .http import ConvexHttp

__all__ = ["Subscriber"]


def _plain(v: Any) -> Any:
    """The official client's values → plain Python (ConvexInt64 → int)."""
    if isinstance(v, convex.ConvexInt64):
        return int(v.value)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _convex_args(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _convex_args(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_convex_args(x) for x in v]
    return v


_END = object()  # a subscription ended (Subscriber._wait)
_AGAIN = object()  # a wait cut short (keep_auth_fresh: no valid token can be had): look again
_NONE = object()  # no result in a result set


def _drop(sub: Any) -> None:
    """Drop a subscription. One whose wait was cancelled was dropped by the client with the awaited future:
    unsubscribe() would then subscribe again first (its ctrl-c safeguard: a round trip and a warning) only to drop
    it."""
    if sub.inner.exists():
        sub.unsubscribe()
    else:
        sub.invalidated = True


def _set_value(result: Any) -> Any:
    """A query's result as the client's set subscription gives it: its value, or, for a failed query, its message
    (a string) or its ConvexError's (message, data). :raises ConvexApiError: for a failed query."""
    if isinstance(result, tuple) and len(result) == 2:
        raise error_from_data(str(result[0]), _plain(result[1]))
    if isinstance(result, str):
        raise ConvexApiError(result, code="E_CONVEX_FUNCTION")
    return _plain(result)


# Official clients of Subscribers collected without `close()`, or closed while a watch still waited on them, dropped
# later on a caller's thread (see close()).
_unclosed: list[Any] = []
# How long a closing Subscriber lets the waits it cancelled end on the client's runtime before dropping the client.
WAITS_SETTLE_S = 0.05


class Subscriber:
    """One official client for one deployment and identity."""

    def __init__(self, url: str, *, token: TokenSource | TokenProvider | None = None,
                 http: ConvexHttp | None = None) -> None:
        _unclosed.clear()  # clients left by collected Subscribers go here, on the caller's thread
        self.url = url
        # One provider for HTTP calls and the socket: a token renewed by either is used by both.
        self.tokens = (token if isinstance(token, TokenProvider)
                       else http.tokens if http is not None and token is None
                       else TokenProvider(token))
        self._client: convex.ConvexClient | None = convex.ConvexClient(url)
        self._pushed: str | None = None
        if self.tokens.cached:
            self._push(self.tokens.cached)
        self._http = http
        self._watches: set[anyio.CancelScope] = set()
        self._auth_failure: ConvexAuthError | None = None
        self._waits: set[Any] = set()  # the client's futures of watches waiting for their next value
        self._cut_at = float("-inf")  # when a wait was last cancelled (time.monotonic)
        self._tg: TaskGroup

    async def __aenter__(self) -> Subscriber:
        """``async with Subscriber(...)`` keeps its token fresh (:meth:`keep_auth_fresh`) until the block ends."""
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self.keep_auth_fresh)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._tg.cancel_scope.cancel()
        await self._tg.__aexit__(None, None, None)
        await self.aclose()

    async def aclose(self) -> None:
        """:meth:`settle`, then :meth:`close` (shielded and bounded by :data:`WAITS_SETTLE_S`: a block left by
        cancellation closes too)."""
        with anyio.CancelScope(shield=True):
            await self.settle()
        self.close()

    async def settle(self) -> None:
        """End the waits of watches still open before the client goes: a watch left by ``break`` is closed by the
        event loop a moment later (let it run), any wait still pending is cancelled, and a cancelled wait is given
        :data:`WAITS_SETTLE_S` to end on the client's runtime too (its Python side ends at once; the client's wait for
        a subscription's next value panics in a runtime thread when the client is dropped under it)."""
        await anyio.lowlevel.checkpoint()
        self._cut_waits()
        left = self._cut_at + WAITS_SETTLE_S - time.monotonic()
        if left > 0:
            await anyio.sleep(left)

    def _cut_waits(self) -> None:
        for wait in list(self._waits):
            wait.cancel()
        if self._waits:
            self._cut_at = time.monotonic()

    def close(self) -> None:
        """Drop the official client now, on this thread (``async with`` does it at the end of the block, after
        :meth:`settle`). Left to Python's cycle collector, a client can be dropped on a runtime thread of another
        client — whichever thread allocates when the collector runs — where its own runtime cannot shut down: the
        client panics. While a watch's wait is pending or was cancelled just now, the wait is cancelled and the client
        is dropped later instead (by the next Subscriber made or closed), once that wait has ended."""
        _unclosed.clear()
        client, self._client = self._client, None
        self._cut_waits()
        if time.monotonic() - self._cut_at < WAITS_SETTLE_S:
            _unclosed.append(client)
        del client

    def __del__(self) -> None:
        # Collected without close(), perhaps on another client's runtime thread: the client is kept, to be dropped by
        # the next Subscriber made or closed (or at exit), never here.
        if getattr(self, "_client", None) is not None:
            _unclosed.append(self._client)

    def _live(self) -> convex.ConvexClient:
        if self._client is None:
            raise ConvexApiError("this Subscriber was closed", code="E_CONVEX_SUBSCRIBER_CLOSED")
        return self._client

    def _push(self, token: str) -> None:
        if token != self._pushed:
            self._live().set_auth(token)
            self._pushed = token

    async def keep_auth_fresh(self) -> None:
        """Renew the socket's token before it expires, for as long as this runs (in the owner's task group).
        Returns at once for a fixed token. When the provider fails or only has an expired token, every watch of
        this subscriber ends with :class:`ConvexAuthError` (``E_AUTH_TOKEN_PROVIDER`` / ``E_AUTH_TOKEN_EXPIRED``)."""
        if not self.tokens.refreshable:
            return
        while True:
            due = self.tokens.renew_at()
            if due is not None:
                await anyio.sleep(max(0.0, due - time.time()))
            elif self.tokens.cached is not None:
                return  # a token without `exp`: nothing to renew
            try:
                token = await self.tokens.current()
                exp, _ = jwt_expiry(token or "")
                if token is None or (exp is not None and exp <= time.time()):
                    raise ConvexAuthError("the token provider gave no token that is still valid",
                                          code="E_AUTH_TOKEN_EXPIRED")
            except ConvexAuthError as exc:
                self._auth_failure = exc
                for scope in list(self._watches):
                    scope.cancel()
                return
            self._push(token)
            renew = self.tokens.renew_at()
            if renew is not None and renew <= time.time():  # a token near its end and no newer one: retry soon
                await anyio.sleep(min(1.0, max(0.05, (exp or time.time()) - time.time())))

    async def watch(self, path: str, args: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        """Every new result of the query (the first is its current value). Duplicates of the last value are skipped.

        :raises ConvexApiError: the query failed (first over HTTP, or later on the subscription).
        """
        client = self._live()
        await self._probe([(path, args)])
        sub = client.subscribe(path, _convex_args(args or {}))
        last: Any = object()
        try:
            while True:
                value = await self._wait(lambda: self._next(sub))
                if value is _END:
                    return
                if value is not _AGAIN and (value := _plain(value)) != last:
                    last = value
                    yield value
        finally:
            _drop(sub)

    async def watch_many(self, queries: Sequence[tuple[str, dict[str, Any] | None]]) -> AsyncIterator[list[Any]]:
        """The latest result of each query, again whenever one of them changed (the first: each one's current
        result). For queries whose result is never a bare string: the client's set subscription gives a failed
        query's message in its place.

        One wait on the client for all of them. The client hands each subscription the whole result set at every
        update from the server, so a :meth:`watch` of each query wakes all of them, one after another, each time
        any one changes; its set subscription wakes once (a view of three queries sees an update ~0.5 ms sooner on
        a 2-core box: tools/bench/RESULTS.md, session 27).

        :raises ConvexApiError: a query failed (first over HTTP, or later on the subscription).
        """
        client = self._live()
        await self._probe(queries)
        subs = [client.subscribe(path, _convex_args(args or {})) for path, args in queries]
        # Made at once after the subscriptions (nothing awaited in between): every update after each one's first
        # result reaches it. Its results are each query's latest: no older value can follow a newer one.
        updates = client.watch_all()
        try:
            values: list[Any] = []
            for sub in subs:  # the first result of each: known already (another watch has it) or its first update
                value = _AGAIN
                while value is _AGAIN:
                    value = await self._wait(partial(self._next, sub))
                if value is _END:
                    return
                values.append(_plain(value))
            ids = [sub.id for sub in subs]
            raws: list[Any] = [_NONE] * len(ids)  # as the set last gave each (compared before converting it again)
            yield list(values)
            while True:
                results = await self._wait(lambda: self._next_set(updates))
                if results is _END:
                    return
                if results is _AGAIN:
                    continue
                changed = False
                for i, sid in enumerate(ids):
                    raw = results.get(sid, _NONE)  # none: being subscribed again (a reconnect)
                    if raw is not _NONE and raw != raws[i]:
                        raws[i] = raw
                        if (value := _set_value(raw)) != values[i]:
                            values[i] = value
                            changed = True
                if changed:
                    yield list(values)
        finally:
            for sub in subs:
                _drop(sub)

    async def _probe(self, queries: Sequence[tuple[str, dict[str, Any] | None]]) -> None:
        """Run each query once over HTTP (typed errors for a bad URL, token or argument), then give the socket the
        current token."""
        if self._auth_failure is not None:
            raise self._auth_failure
        probe = self._http or ConvexHttp(self.url, token=self.tokens)
        try:
            for path, args in queries:
                await probe.query(path, args)
        finally:
            if self._http is None:
                await probe.aclose()
        token = await self.tokens.current()
        if token:
            self._push(token)

    async def _wait(self, next_value: Callable[[], Awaitable[Any]]) -> Any:
        """The next value, :data:`_END` when the subscription ended, or :data:`_AGAIN` when the wait was cut short
        (no valid token can be had: the next wait raises it). :raises ConvexApiError: the query failed;
        :raises ConvexAuthError: no valid token can be had."""
        if self._auth_failure is not None:
            raise self._auth_failure
        scope = anyio.CancelScope()  # cancelled by keep_auth_fresh when no valid token can be had
        self._watches.add(scope)
        try:
            with scope:
                value = await next_value()
            return _AGAIN if scope.cancelled_caught else value
        except convex.ConvexError as exc:
            raise error_from_data(str(exc), _plain(exc.data)) from exc
        except StopAsyncIteration:
            return _END
        except Exception as exc:  # the client raises bare Exception for errors without data
            raise ConvexApiError(str(exc), code="E_CONVEX_FUNCTION") from exc
        finally:
            self._watches.discard(scope)

    async def _next(self, sub: Any) -> Any:
        """The subscription's next value, as its own ``__anext__`` gives it."""
        result = await self._tracked(sub.safe_inner_sub().anext())
        if result["type"] == "convexerror":
            raise convex.ConvexError(result["message"], result["data"])
        return result["value"]

    async def _next_set(self, updates: Any) -> Any:
        """The client's next result set (subscription id → result), as its set subscription gives it."""
        return await self._tracked(updates.safe_inner_sub().anext())

    async def _tracked(self, wait: Any) -> Any:
        """Await one of the client's futures, tracked while pending (:meth:`settle`, :meth:`close`)."""
        self._waits.add(wait)
        try:
            return await wait
        finally:
            self._waits.discard(wait)
            if wait.cancelled():
                self._cut_at = time.monotonic()

    async def wait_for(self, path: str, args: dict[str, Any] | None, predicate: Callable[[Any], bool], *,
                       timeout_s: float) -> Any:
        """The first result of the query for which ``predicate`` holds.

        :raises RpcTimeoutError: (``E_CONVEX_WAIT_TIMEOUT``) when none came within ``timeout_s``.
        """
        with anyio.move_on_after(timeout_s):
            async for value in self.watch(path, args):
                if predicate(value):
                    return value
        raise RpcTimeoutError(f"{path} did not reach the expected state within {timeout_s:g} s",
                              code="E_CONVEX_WAIT_TIMEOUT")
