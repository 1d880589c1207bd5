"""User tokens that expire: a fixed JWT, or a provider (sync or async callable) asked again before expiry.

A JWT's ``exp`` is read (not verified: the deployment verifies it) to know when to ask again: at
``exp - margin``, where the margin is 30 s or a quarter of the token's lifetime, whichever is shorter (so a
5-second token is renewed about a second before it lapses). HTTP calls take :meth:`TokenProvider.current`
before each call and :meth:`TokenProvider.refresh` after a 401; subscriptions are kept authenticated by
:meth:`.subscribe.Subscriber.keep_auth_fresh`, which pushes each new token into the official client before the
old one expires (Convex closes a WebSocket whose token has expired).
"""

from __future__ import annotations

import base64
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from ..errors import ConvexAuthError

__all__ = ["TokenProvider", "TokenSource", "jwt_expiry"]

TokenSource = str | Callable[[], str | Awaitable[str]]
MAX_MARGIN_S = 30.0


def _claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def jwt_expiry(token: str) -> tuple[float | None, float | None]:
    """``(exp, iat)`` of a JWT in epoch seconds (``None`` where absent or not a JWT)."""
    claims = _claims(token)
    exp, iat = claims.get("exp"), claims.get("iat")
    return (float(exp) if isinstance(exp, int | float) else None, float(iat) if isinstance(iat, int | float) else None)


class TokenProvider:
    """The current user token. ``source`` is a token string (used as is) or a callable returning one.

    :param clock: seconds since the epoch (tests replace it).
    """

    def __init__(self, source: TokenSource | None, *, clock: Callable[[], float] = time.time) -> None:
        self._source = source
        self._clock = clock
        self._token: str | None = None
        self._due: float | None = None  # when _token should be replaced (read from its claims once, when it is set)
        self._set(source if isinstance(source, str) else None)
        self._lock = anyio.Lock()
        self.fetches = 0  # how many times the callable was asked (tests and logs read it)

    @property
    def refreshable(self) -> bool:
        return callable(self._source)

    @property
    def cached(self) -> str | None:
        return self._token

    def _set(self, token: str | None) -> None:
        self._token = token
        exp, iat = jwt_expiry(token) if token is not None and self.refreshable else (None, None)
        margin = MAX_MARGIN_S if iat is None else min(MAX_MARGIN_S, max(0.0, (exp or 0.0) - iat) / 4)
        self._due = None if exp is None else exp - margin

    def renew_at(self) -> float | None:
        """When the current token should be replaced (epoch seconds), or ``None`` if it never needs to be."""
        return self._due

    async def current(self) -> str | None:
        """The token to send now: fetched when none is held yet or when the held one is due for renewal."""
        due = self.renew_at()
        if (self._token is None and self.refreshable) or (due is not None and self._clock() >= due):
            return await self.refresh(stale=self._token)
        return self._token

    async def refresh(self, *, stale: str | None = None) -> str | None:
        """Ask the source again (once for concurrent callers holding the same ``stale`` token).

        :raises ConvexAuthError: ``E_AUTH_TOKEN_PROVIDER`` when the callable fails or returns no token.
        """
        if not callable(self._source):
            return self._token
        async with self._lock:
            if self._token is not None and self._token != stale:
                return self._token  # another caller already renewed it
            try:
                got = self._source()
                token = await got if inspect.isawaitable(got) else got
            except Exception as exc:
                raise ConvexAuthError(f"the token provider failed: {exc!r}", code="E_AUTH_TOKEN_PROVIDER") from exc
            if not isinstance(token, str) or not token:
                raise ConvexAuthError("the token provider returned no token", code="E_AUTH_TOKEN_PROVIDER")
            self.fetches += 1
            self._set(token)
            return token
