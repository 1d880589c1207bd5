"""The exception tree of codex-convex. Every error carries a registered ``code`` (``E_<AREA>_<WHAT>``; the registry
with each code's meaning and fix: ``codex_convex.error_codes.ERRORS``, from ``convex/component/errorCodes.ts``).

* CodexConvexError            code, message, data
  + CodexError                 the Codex app-server side (``codex/``)
    - JsonRpcError             Codex answered a request with an error
    - TransportClosedError     the app-server process is gone
    - RpcTimeoutError          no answer within the deadline
    - CodexNotFoundError       no Codex binary
    - OffProtocolError         a result or a notification the host acts on, off the pinned protocol
  + ConvexApiError             a Convex function failed (code from its ``ConvexError`` data); by the code's kind:
    - InvalidInputError        invalid arguments or state of the input
      - LimitExceededError     over one of the component's limits
    - NotFoundError            no such row for this user
    - ConflictError            the row's state does not allow the call (already answered, sealed, deleting…)
    - ConvexTransportError     the deployment could not be reached
    - ConvexAuthError          no identity, or the token was refused
  + SchemaDriftError           ``schemas/`` or the generated models differ from the pinned Codex
  + PersistenceDisabledError   a persistence call in ``codex-only`` mode
  + and the host's own, each beside its code: HostNotRunningError, NoThreadError, ReplicationError,
    SyncFailedError, RecordTooLargeError, IllegalTransitionError, NodeNotFoundError
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CodexConvexError",
    "CodexError",
    "CodexNotFoundError",
    "ConflictError",
    "ConvexApiError",
    "ConvexAuthError",
    "ConvexTransportError",
    "InvalidInputError",
    "JsonRpcError",
    "LimitExceededError",
    "NotFoundError",
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


class TurnTimeoutError(CodexConvexError, TimeoutError):
    """A turn did not finish within ``HostConfig.turn_timeout_s`` (e.g. an approval nobody answered)."""

    code = "E_HOST_TURN_TIMEOUT"


class CodexNotFoundError(CodexError):
    code = "E_CODEX_NOT_FOUND"


class ConvexApiError(CodexConvexError):
    code = "E_CONVEX"


class InvalidInputError(ConvexApiError):
    code = "E_ARGS_INVALID"


class LimitExceededError(InvalidInputError):
    code = "E_INGEST_BAD_BATCH"


class NotFoundError(ConvexApiError):
    code = "E_CONVERSATION_NOT_FOUND"


class ConflictError(ConvexApiError):
    code = "E_REQUEST_ALREADY_ANSWERED"


class ConvexTransportError(ConvexApiError):
    code = "E_CONVEX_UNREACHABLE"


class ConvexAuthError(ConvexApiError):
    code = "E_AUTH_INVALID_TOKEN"


class SchemaDriftError(CodexConvexError):
    code = "E_SCHEMA_DRIFT"


class PersistenceDisabledError(CodexConvexError):
    code = "E_PERSISTENCE_DISABLED"
