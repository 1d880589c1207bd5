"""Typed Codex app-server protocol: pydantic models generated from ``schemas/`` (see ``_generated/``).

Hand-written helpers live here and import from ``_generated``; never the reverse.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ._generated import v2
from ._generated.registry import CLIENT_REQUEST_PARAMS, NOTIFICATION_PARAMS, SERVER_REQUEST_PARAMS

__all__ = [
    "CLIENT_REQUEST_PARAMS",
    "NOTIFICATION_PARAMS",
    "SERVER_REQUEST_PARAMS",
    "parse_notification",
    "parse_server_request",
    "v2",
]


def parse_notification(method: str, params: dict[str, Any]) -> BaseModel | None:
    """The typed params of a notification, or ``None`` for a method the pinned protocol does not know."""
    model = NOTIFICATION_PARAMS.get(method)
    return model.model_validate(params) if model is not None else None


def parse_server_request(method: str, params: dict[str, Any]) -> BaseModel | None:
    model = SERVER_REQUEST_PARAMS.get(method)
    return model.model_validate(params) if model is not None else None
