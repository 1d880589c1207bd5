"""Turn Convex failures into codex-convex exceptions: the code comes from the function's ``ConvexError`` data, the
class from the code's kind in the registry (so callers ``except NotFoundError``, not compare strings)."""

from __future__ import annotations

from typing import Any

from ..error_codes import ERRORS, ErrorKind
from ..errors import (
    ConflictError,
    ConvexApiError,
    ConvexAuthError,
    ConvexTransportError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
)

CLASS_OF_KIND: dict[ErrorKind, type[ConvexApiError]] = {
    "invalid": InvalidInputError,
    "limit": LimitExceededError,
    "notFound": NotFoundError,
    "conflict": ConflictError,
    "auth": ConvexAuthError,
    "unavailable": ConvexTransportError,
    "failed": ConvexApiError,
    "job": ConvexApiError,
}


def error_class(code: str) -> type[ConvexApiError]:
    """The exception class for a code (``ConvexApiError`` for one the registry does not know, e.g. a newer
    component's)."""
    spec = ERRORS.get(code)
    return CLASS_OF_KIND[spec.kind] if spec is not None else ConvexApiError


def error_from_data(message: str, data: Any) -> ConvexApiError:
    """A typed error for a failed function: ``data`` is the ConvexError payload (or ``None``)."""
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        code = data["code"]
        text = str(data.get("message") or message)
        return error_class(code)(text, code=code, data=data)
    if "Validator error" in message or "ArgumentValidationError" in message:
        return InvalidInputError(message, code="E_ARGS_INVALID", data=data)
    if "Unauthenticated" in message:
        return ConvexAuthError(message, code="E_AUTH_INVALID_TOKEN", data=data)
    return ConvexApiError(message, code="E_CONVEX_FUNCTION", data=data)
