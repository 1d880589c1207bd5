"""The exception tree of codex-convex. Every error carries a stable ``code`` (``E_<AREA>_<WHAT>``).

* CodexConvexError            code, message, data
  + CodexError                 the Codex app-server side (``codex/``)
    - JsonRpcError             Codex answered a request with an error
    - TransportClosedError     the app-server process is gone
    - RpcTimeoutError          no answer within the deadline
    - CodexNotFoundError       no Codex binary
  + ConvexApiError             a Convex function failed (code from its ``ConvexError`` data)
    - ConvexTransportError     the deployment could not be reached
    - ConvexAuthError          the token was refused
  + SchemaDriftError           ``schemas/`` or the generated models differ from the pinned Codex
  + PersistenceDisabledError   a persistence call in ``codex-only`` mode
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CodexConvexError",
    "CodexError",
    "CodexNotFoundError",
    "ConvexApiError",
    "ConvexAuthError",
    "ConvexTransportError",
    "JsonRpcError",
    "PersistenceDisabledError",
    "RpcTimeoutError",
    "SchemaDriftError",
    "TransportClosedError",
]


class CodexConvexError(Exception):
    """Base of every error raised by codex-convex."""

    code: str = "E_INTERNAL"

    def __init__(self, message: str, *, code: str | None = None, data: Any = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class CodexError(CodexConvexError):
    code = "E_CODEX"


class JsonRpcError(CodexError):
    """Codex answered a request with ``{"error": {code, message, data}}``."""

    code = "E_CODEX_RPC"

    def __init__(self, rpc_code: int, message: str, data: Any = None) -> None:
        super().__init__(message, data=data)
        self.rpc_code = rpc_code


class TransportClosedError(CodexError):
    code = "E_CODEX_CLOSED"


class RpcTimeoutError(CodexError):
    code = "E_CODEX_TIMEOUT"


class CodexNotFoundError(CodexError):
    code = "E_CODEX_NOT_FOUND"


class ConvexApiError(CodexConvexError):
    code = "E_CONVEX"


class ConvexTransportError(ConvexApiError):
    code = "E_CONVEX_UNREACHABLE"


class ConvexAuthError(ConvexApiError):
    code = "E_AUTH_INVALID_TOKEN"


class SchemaDriftError(CodexConvexError):
    code = "E_SCHEMA_DRIFT"


class PersistenceDisabledError(CodexConvexError):
    code = "E_PERSISTENCE_DISABLED"
