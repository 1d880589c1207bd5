"""Turn Convex failures into codex-convex exceptions: the code comes from the function's ``ConvexError`` data."""

from __future__ import annotations

from typing import Any

from ..errors import ConvexApiError, ConvexAuthError

# Codes the component uses for auth problems: raised as ConvexAuthError so callers can catch one type.
AUTH_CODES = frozenset({"E_AUTH_REQUIRED", "E_AUTH_FORBIDDEN", "Unauthenticated", "E_AUTH_INVALID_TOKEN"})


def error_from_data(message: str, data: Any) -> ConvexApiError:
    """A typed error for a failed function: ``data`` is the ConvexError payload (or ``None``)."""
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        code = data["code"]
        text = str(data.get("message") or message)
        cls = ConvexAuthError if code in AUTH_CODES else ConvexApiError
        return cls(text, code=code, data=data)
    if "Validator error" in message or "ArgumentValidationError" in message:
        return ConvexApiError(message, code="E_ARGS_INVALID", data=data)
    return ConvexApiError(message, code="E_CONVEX_FUNCTION", data=data)
