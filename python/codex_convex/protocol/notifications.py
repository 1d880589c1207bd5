"""The notifications the host acts on (``schema_tools.codegen.HOST_NOTIFICATIONS``), decoded once into the
pinned protocol's models (``host_models``).

The host's pump decodes each notification here (``decode``) and hands the typed value to turn tracking and to the
event mapper; no one reads these notifications as raw dicts. The raw params travel along (``Decoded.raw``) for one
purpose: an item's JSON is stored exactly as Codex sent it (a model of it would drop fields a newer Codex adds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from ._generated.host_models import HOST_NOTIFICATIONS, HostNotification, Turn
from .validate import OffProtocolError, validate

__all__ = ["HOST_NOTIFICATIONS", "Decoded", "HostNotification", "OffProtocolError", "decode", "is_nested_turn"]


@dataclass(frozen=True)
class Decoded:
    method: str
    value: HostNotification
    raw: dict[str, Any]


def decode(method: str, params: dict[str, Any]) -> Decoded | None:
    """The typed notification, or ``None`` for a method the host does not act on.

    :raises OffProtocolError: a method the host acts on arrived in a shape the pinned protocol does not allow.
    """
    model = HOST_NOTIFICATIONS.get(method)
    if model is None:
        return None
    return Decoded(method, cast(HostNotification, validate(model, params, f"the notification {method}")), params)



def is_nested_turn(turn: Turn) -> bool:
    """A turn started from another (``rootTurnId`` names it): a /review's reviewer, or a continuation Codex starts
    on its own while a goal is active. Which one, only what came before says (see ``replication.events``)."""
    return turn.root_turn_id is not None and turn.root_turn_id != turn.id
