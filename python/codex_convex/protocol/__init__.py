"""Typed Codex app-server protocol: pydantic models generated from ``schemas/`` (see ``_generated/``).

``host_models`` holds what the host runtime reads (imported at once, cheap); the whole protocol (``v2``, the method
registries, ``parse_notification``) is imported on first use. Hand-written helpers live here and import from
``_generated``; never the reverse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._generated import host_models

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ._generated import v2
    from ._generated.registry import CLIENT_REQUEST_PARAMS, NOTIFICATION_PARAMS, SERVER_REQUEST_PARAMS

__all__ = [
    "CLIENT_REQUEST_PARAMS",
    "NOTIFICATION_PARAMS",
    "SERVER_REQUEST_PARAMS",
    "host_models",
    "parse_notification",
    "parse_server_request",
    "v2",
]


def __getattr__(name: str) -> Any:
    """The whole protocol, imported when first asked for (it has ~1,450 models)."""
    if name == "v2":
        from ._generated import v2

        return v2
    if name in ("CLIENT_REQUEST_PARAMS", "NOTIFICATION_PARAMS", "SERVER_REQUEST_PARAMS"):
        from ._generated import registry

        return getattr(registry, name)
    raise AttributeError(name)


def parse_notification(method: str, params: dict[str, Any]) -> BaseModel | None:
    """The typed params of a notification, or ``None`` for a method the pinned protocol does not know."""
    from ._generated.registry import NOTIFICATION_PARAMS

    model = NOTIFICATION_PARAMS.get(method)
    return model.model_validate(params) if model is not None else None


def parse_server_request(method: str, params: dict[str, Any]) -> BaseModel | None:
    from ._generated.registry import SERVER_REQUEST_PARAMS

    model = SERVER_REQUEST_PARAMS.get(method)
    return model.model_validate(params) if model is not None else None
