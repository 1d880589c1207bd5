"""Splitting text into bounded pieces: the one splitter of the host.

The component counts JavaScript string length (UTF-16 code units); a sync chunk counts UTF-8 bytes. A piece holds
at most ``max_units`` UTF-16 code units and, when given, at most ``max_bytes`` UTF-8 bytes; it is never cut inside
a character (or a surrogate pair), and each piece is as long as the limits allow.
"""

from __future__ import annotations

__all__ = ["split_text", "utf16_len"]


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
