"""HTTP beside the function API, from the one package that speaks HTTP: probes (does it answer?), the local
backend's operator routes (export, import) and calls whose status and body the caller reads itself (``doctor``).
An address that does not answer raises :class:`ConvexTransportError` (``E_CONVEX_UNREACHABLE``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import ConvexTransportError
from .tls import tls_context

__all__ = ["RawResponse", "get", "get_sync", "post", "post_sync", "stream_lines"]


@dataclass(frozen=True)
class RawResponse:
    status: int
    text: str
    content_type: str

    def json(self) -> Any:
        """The body as JSON, or ``{}`` when it is not JSON."""
        if not self.content_type.startswith("application/json"):
            return {}
        try:
            return json.loads(self.text)
        except ValueError:
            return {}


def _raw(r: httpx.Response) -> RawResponse:
    return RawResponse(r.status_code, r.text, r.headers.get("content-type", ""))


async def get(url: str, *, timeout_s: float = 10.0, headers: dict[str, str] | None = None) -> RawResponse:
    try:
        async with httpx.AsyncClient(timeout=timeout_s, verify=tls_context()) as client:
            return _raw(await client.get(url, headers=headers))
    except httpx.HTTPError as exc:
        raise ConvexTransportError(f"{url} did not answer: {exc!r}") from exc


def get_sync(url: str, *, timeout_s: float = 10.0, headers: dict[str, str] | None = None) -> RawResponse:
    try:
        return _raw(httpx.get(url, timeout=timeout_s, headers=headers, verify=tls_context()))
    except httpx.HTTPError as exc:
        raise ConvexTransportError(f"{url} did not answer: {exc!r}") from exc


async def post(url: str, body: Any, *, timeout_s: float = 10.0, headers: dict[str, str] | None = None) -> RawResponse:
    """POST ``body`` as JSON."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s, verify=tls_context()) as client:
            return _raw(await client.post(url, json=body, headers=headers))
    except httpx.HTTPError as exc:
        raise ConvexTransportError(f"{url} did not answer: {exc!r}") from exc


def post_sync(url: str, content: bytes, *, timeout_s: float = 600.0,
              headers: dict[str, str] | None = None) -> RawResponse:
    """POST raw bytes (an import body)."""
    try:
        return _raw(httpx.post(url, content=content, headers=headers, timeout=timeout_s))
    except httpx.HTTPError as exc:
        raise ConvexTransportError(f"{url} did not answer: {exc!r}") from exc


def stream_lines(url: str, *, headers: dict[str, str] | None = None,
                 timeout_s: float = 600.0) -> Iterator[str | RawResponse]:
    """The body's non-empty lines as they arrive (an export); a non-200 answer is yielded once, as a
    :class:`RawResponse`, and ends the stream."""
    try:
        with httpx.stream("GET", url, headers=headers, timeout=timeout_s) as r:
            if r.status_code != 200:
                r.read()
                yield _raw(r)
                return
            for line in r.iter_lines():
                if line:
                    yield line
    except httpx.HTTPError as exc:
        raise ConvexTransportError(f"{url} did not answer: {exc!r}") from exc
