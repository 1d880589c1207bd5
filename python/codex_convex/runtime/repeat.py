"""Repeating a mutation whose answer was lost on the way. ConvexHttp repeats a mutation only when nothing was sent
(it may have run otherwise); a caller whose mutation answers the same when repeated (the host's marks, its take of a
client message) repeats it here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from ..errors import ConvexTransportError

__all__ = ["repeat_if_lost"]

T = TypeVar("T")


async def repeat_if_lost(call: Callable[[], Awaitable[T]]) -> T:
    """``call``, again (up to 4 times in all, backing off to 3 s) while the deployment could not be reached or its
    answer was lost (:class:`ConvexTransportError`). Only for mutations that answer the same when repeated."""
    async for attempt in AsyncRetrying(retry=retry_if_exception_type(ConvexTransportError), stop=stop_after_attempt(4),
                                       wait=wait_exponential_jitter(multiplier=0.2, max=3.0), reraise=True):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity reraises")
