"""Codex's JSON checked against the pinned protocol's models: one error for anything off it, results and
notifications alike."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import CodexError

__all__ = ["OffProtocolError", "validate"]

M = TypeVar("M", bound=BaseModel)


class OffProtocolError(CodexError):
    """Codex sent a result or a notification the host acts on in a shape the pinned protocol does not allow."""

    code = "E_CODEX_OFF_PROTOCOL"


def validate(model: type[M], data: Any, what: str) -> M:
    """``data`` as ``model``. :raises OffProtocolError: naming ``what`` and the first field off the protocol."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise OffProtocolError(f"{what} is off the pinned protocol ({exc.error_count()} problems, first: {where}: "
                               f"{first['msg']})") from exc
