"""Subscriptions through the official ``convex`` client's ``async for`` (the only call of it that does not hold the
GIL while waiting). Never mix with its sync ``next()``; every wait here has a deadline.

The official client never raises on a refused token (it reconnects forever), so :meth:`Subscriber.watch` first
runs the query once over HTTP, which raises typed errors for a bad URL, token or argument.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import convex

from ..errors import ConvexApiError, RpcTimeoutError
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


class Subscriber:
    """One official client for one deployment and identity."""

    def __init__(self, url: str, *, token: str | None = None, http: ConvexHttp | None = None) -> None:
        self.url = url
        self._token = token
        self._client = convex.ConvexClient(url)
        if token:
            self._client.set_auth(token)
        self._http = http

    async def watch(self, path: str, args: dict[str, Any] | None = None) -> AsyncIterator[Any]:
        """Every new result of the query (the first is its current value). Duplicates of the last value are skipped.

        :raises ConvexApiError: the query failed (first over HTTP, or later on the subscription).
        """
        probe = self._http or ConvexHttp(self.url, token=self._token)
        try:
            await probe.query(path, args)
        finally:
            if self._http is None:
                await probe.aclose()
        sub = self._client.subscribe(path, _convex_args(args or {}))
        last: Any = object()
        try:
            while True:
                try:
                    value = _plain(await sub.__anext__())
                except convex.ConvexError as exc:
                    raise error_from_data(str(exc), _plain(exc.data)) from exc
                except StopAsyncIteration:
                    return
                except Exception as exc:  # the client raises bare Exception for errors without data
                    raise ConvexApiError(str(exc), code="E_CONVEX_FUNCTION") from exc
                if value != last:
                    last = value
                    yield value
        finally:
            sub.unsubscribe()

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
