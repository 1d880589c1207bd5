"""Splitting text into bounded pieces: the one splitter of the host.

The component counts JavaScript string length (UTF-16 code units); a sync chunk counts UTF-8 bytes. A piece holds
at most ``max_units`` UTF-16 code units and, when given, at most ``max_bytes`` UTF-8 bytes; it is never cut inside
a character (or a surrogate pair), and each piece is as long as the limits allow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["clip_json", "split_text", "utf16_len"]

CLIP_MARK = "…"


def utf16_len(text: str) -> int:
    """The length JavaScript sees (characters outside the BMP count 2)."""
    return len(text.encode("utf-16-le")) // 2


def cut_units(text: str, max_units: int) -> str:
    """The longest prefix of ``text`` of at most ``max_units`` UTF-16 code units."""
    head = text[:max_units]
    data = head.encode("utf-16-le")
    if len(data) <= 2 * max_units:
        return head
    data = data[:2 * max_units]
    if 0xD8 <= data[-1] <= 0xDB:  # the last unit kept is a high surrogate: its pair did not fit
        data = data[:-2]
    return data.decode("utf-16-le")


def _cut_bytes(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` of at most ``max_bytes`` UTF-8 bytes."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    end = max_bytes
    while end > 0 and (data[end] & 0xC0) == 0x80:  # back off to a character boundary
        end -= 1
    return data[:end].decode("utf-8")


def split_text(text: str, max_units: int, *, max_bytes: int | None = None) -> list[str]:
    """``text`` in order as pieces within the limits (``[""]`` for an empty text)."""
    if max_units < 2 or (max_bytes is not None and max_bytes < 4):
        raise ValueError("limits too small to hold any character")
    out: list[str] = []
    i = 0
    while i < len(text) or not out:
        piece = cut_units(text[i:i + max_units], max_units)
        if max_bytes is not None:
            piece = _cut_bytes(piece, max_bytes)
        out.append(piece)
        i += len(piece)
        if not piece:
            break
    return out


def _cut_strings(value: Any, keep: int) -> Any:
    if isinstance(value, str):
        return value if utf16_len(value) <= keep else cut_units(value, keep) + CLIP_MARK
    if isinstance(value, dict):
        return {k: _cut_strings(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [_cut_strings(v, keep) for v in value]
    return value


def _longest(value: Any) -> int:
    if isinstance(value, str):
        return utf16_len(value)
    if isinstance(value, dict):
        return max((_longest(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max((_longest(v) for v in value), default=0)
    return 0


def clip_json(value: Any, max_units: int, dump: Callable[[Any], str]) -> tuple[str, bool]:
    """``dump(value)`` when it holds at most ``max_units`` UTF-16 code units; else the same value with every string
    longer than some length cut to it (the longest length that fits, the same for all, each cut string ending in
    ``…``), and when even that cannot fit (too many values), its top-level scalars only. Returns (text, clipped)."""
    text = dump(value)
    if utf16_len(text) <= max_units:
        return text, False
    best: str | None = None
    lo, hi = 0, _longest(value)
    while lo <= hi:  # the longest cut that fits
        mid = (lo + hi) // 2
        attempt = dump(_cut_strings(value, mid))
        if utf16_len(attempt) <= max_units:
            best, lo = attempt, mid + 1
        else:
            hi = mid - 1
    if best is None:
        scalars = {k: v for k, v in value.items() if not isinstance(v, dict | list)} if isinstance(value, dict) else {}
        best = dump(_cut_strings(scalars, 200))
        if utf16_len(best) > max_units:
            best = "{}"
    return best, True
