"""Convex JSON: ``$integer`` (int64, little-endian base64), ``$bytes``, ``$float`` (NaN, ±Inf, -0.0).

Python ``int`` is sent as a float64 number, as the official client does; wrap a value in :class:`Int64` to send a
real int64. Decoding turns ``$integer`` into ``int`` and ``$bytes`` into ``bytes``.
"""

from __future__ import annotations

import base64
import math
import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["Int64", "from_convex_json", "to_convex_json"]


@dataclass(frozen=True)
class Int64:
    value: int


def to_convex_json(v: Any) -> Any:
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, Int64):
        return {"$integer": base64.b64encode(struct.pack("<q", v.value)).decode()}
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v) or (v == 0.0 and math.copysign(1.0, v) < 0):
            return {"$float": base64.b64encode(struct.pack("<d", v)).decode()}
        return v
    if isinstance(v, bytes | bytearray):
        return {"$bytes": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise TypeError(f"Convex object keys must be strings, got {k!r}")
            out[k] = to_convex_json(x)
        return out
    if isinstance(v, list | tuple):
        return [to_convex_json(x) for x in v]
    raise TypeError(f"cannot send {type(v).__name__} to Convex")


def from_convex_json(v: Any) -> Any:
    if isinstance(v, list):
        return [from_convex_json(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (key, raw), = v.items()
            if key == "$integer":
                return struct.unpack("<q", base64.b64decode(raw))[0]
            if key == "$bytes":
                return base64.b64decode(raw)
            if key == "$float":
                return struct.unpack("<d", base64.b64decode(raw))[0]
        return {k: from_convex_json(x) for k, x in v.items()}
    return v
