"""Mutations, queries and actions over Convex's HTTP API on one ``httpx.AsyncClient`` (DESIGN §1b).

The official ``convex`` client holds the GIL for a whole round trip, so one-shot calls go over HTTP here; only
subscriptions use it (:mod:`.subscribe`). Transport failures are retried with tenacity: any for queries and for the
mutations the caller calls ``repeatable`` (the host contract marks those that can be sent again with no further
effect and answer with the same outcome), only "never reached the server" (connect errors) for other mutations and
actions, which must not run twice by accident.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from ..errors import ConvexApiError, ConvexAuthError, ConvexTransportError
from .auth import TokenProvider, TokenSource
from .encoding import from_convex_json, to_convex_json
from .errors import error_from_data
from .tls import tls_context
from .transport import LeanTransport

Kind = Literal["query", "mutation", "action"]
STATUS_UDF_FAILED = 560
RETRY_ATTEMPTS = 5  # in all, the first included

__all__ = ["ConvexHttp"]


class ConvexHttp:
    """One deployment over HTTP; use ``async with`` or call :meth:`aclose`.

    :param url: deployment URL (``http://127.0.0.1:3210`` or ``https://x.convex.cloud``).
    :param token: a user JWT (sent as ``Authorization: Bearer``), or a callable returning one, or a shared
        :class:`TokenProvider`: asked again before the token expires and once after a 401 (then the call is retried:
        a refused token means nothing ran).
    :param admin_key: an admin key, sent as ``Authorization: Convex`` (operator calls).
    """

    def __init__(self, url: str, *, token: TokenSource | TokenProvider | None = None, admin_key: str | None = None,
                 timeout_s: float = 60.0, client: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        self.tokens = token if isinstance(token, TokenProvider) else TokenProvider(token)
        self._admin_key = admin_key
        self.timeout_s = timeout_s
        # http:// (the local backend) straight on a lean transport: httpx's client and transport cost ~1.5 ms of CPU
        # per call (transport.py); https:// (and a client given, as tests do) through httpx.
        parts = httpx.URL(self.url)
        lean = client is None and parts.scheme == "http"
        self._lean = LeanTransport() if lean else None
        self._origin = (parts.host, parts.port or 80)
        self._host = f"[{parts.host}]:{self._origin[1]}" if ":" in parts.host else f"{parts.host}:{self._origin[1]}"
        self._prefix = parts.raw_path.decode("ascii").rstrip("/")
        self._client = None if lean else client or httpx.AsyncClient(
            timeout=timeout_s, limits=httpx.Limits(max_keepalive_connections=8), verify=tls_context())
        self.calls = 0  # how many calls reached the server (benchmarks count write cost with it)

    def set_auth(self, token: TokenSource | None) -> None:
        self.tokens = TokenProvider(token)

    def _headers(self, token: str | None) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Convex-Client": "codex-convex-python"}
        if self._admin_key:
            h["Authorization"] = f"Convex {self._admin_key}"
        elif token:
            h["Authorization"] = f"Bearer {token}"
        return h

    async def query(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return await self._call("query", path, args)

    async def mutation(self, path: str, args: dict[str, Any] | None = None, *, repeatable: bool = False) -> Any:
        """:param repeatable: sent again, the mutation changes nothing more and answers with the same outcome, so it is
            repeated after any transport error, an answer lost on the way included (otherwise only when nothing was
            sent)."""
        return await self._call("mutation", path, args, repeatable)

    async def action(self, path: str, args: dict[str, Any] | None = None) -> Any:
        return await self._call("action", path, args)

    async def _call(self, kind: Kind, path: str, args: dict[str, Any] | None, repeatable: bool = False) -> Any:
        body = json.dumps({"path": path, "args": to_convex_json(args or {}), "format": "convex_encoded_json"})
        token = await self.tokens.current()
        repeat = kind == "query" or repeatable
        status, content = await self._post(kind, path, body, token, repeat)
        if status == 401 and self.tokens.refreshable and not self._admin_key:
            # Refused before anything ran (an expired or revoked token): ask the provider once more and retry.
            status, content = await self._post(kind, path, body, await self.tokens.refresh(stale=token), repeat)
        self.calls += 1
        return self._decode(kind, path, status, content)

    async def _post(self, kind: Kind, path: str, body: str, token: str | None, repeat: bool) -> tuple[int, bytes]:
        """The answer's status and body; transport failures retried as the module says. The first attempt goes
        straight, without tenacity's machinery: it costs ~20 µs a call warm but ~0.3-1.9 ms when the process sat
        idle a while (as between a live stream's writes: tools/bench/RESULTS.md, session 29), and nearly every call
        needs no retry."""
        retry_on: type[BaseException] | tuple[type[BaseException], ...] = (
            httpx.TransportError if repeat else (httpx.ConnectError, httpx.ConnectTimeout))
        payload, headers = body.encode(), self._headers(token)
        first: BaseException | None = None
        try:
            try:
                return await self._send(kind, payload, headers)
            except retry_on as exc:
                first = exc  # tenacity's first attempt, replayed: its backoff and stop count it
            async for attempt in AsyncRetrying(retry=retry_if_exception_type(retry_on),
                                               stop=stop_after_attempt(RETRY_ATTEMPTS),
                                               wait=wait_exponential_jitter(multiplier=0.05, max=2.0), reraise=True):
                with attempt:
                    if first is not None:
                        failed, first = first, None
                        raise failed
                    return await self._send(kind, payload, headers)
        except httpx.TransportError as exc:
            raise ConvexTransportError(f"{kind} {path}: cannot reach {self.url}: {exc!r}") from exc
        raise AssertionError("unreachable: tenacity reraises")

    async def _send(self, kind: Kind, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self._lean is None:
            assert self._client is not None
            resp = await self._client.post(f"{self.url}/api/{kind}", content=body, headers=headers)
            return resp.status_code, resp.content
        status, _, content = await self._lean.exchange(
            "POST", self._origin, f"{self._prefix}/api/{kind}", [("Host", self._host), *headers.items()], body,
            connect_s=self.timeout_s, write_s=self.timeout_s, read_s=self.timeout_s)
        return status, content

    @staticmethod
    def _decode(kind: Kind, path: str, status: int, content: bytes) -> Any:
        try:
            payload = json.loads(content)
        except ValueError as exc:
            raise ConvexApiError(f"{kind} {path}: HTTP {status} with a non-JSON body",
                                 code="E_CONVEX_BAD_RESPONSE") from exc
        if not isinstance(payload, dict):
            raise ConvexApiError(f"{kind} {path}: HTTP {status} with a body that is not a JSON object",
                                 code="E_CONVEX_BAD_RESPONSE")
        if status == 200 and payload.get("status") == "success":
            return from_convex_json(payload.get("value"))
        if status in (200, STATUS_UDF_FAILED) and payload.get("status") == "error":
            data = from_convex_json(payload.get("errorData")) if "errorData" in payload else None
            raise error_from_data(str(payload.get("errorMessage", "")), data)
        convex_code = str(payload.get("code", f"HTTP {status}"))
        message = f"{kind} {path}: {convex_code}: {payload.get('message', content[:500].decode(errors='replace'))}"
        if status == 401:
            raise ConvexAuthError(message, code="E_AUTH_INVALID_TOKEN", data=payload)
        raise ConvexApiError(message, code="E_CONVEX_HTTP", data=payload)

    async def aclose(self) -> None:
        if self._lean is not None:
            await self._lean.aclose()
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> ConvexHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
