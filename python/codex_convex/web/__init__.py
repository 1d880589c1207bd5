"""The conversation page: ``codex-convex ui`` serves it on 127.0.0.1 (see :mod:`.server`)."""

from .server import PageConfig, PageServer

__all__ = ["PageConfig", "PageServer"]
