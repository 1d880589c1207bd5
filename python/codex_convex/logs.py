"""structlog set-up: key-value lines on stderr for people, JSON lines with ``--json`` or ``CODEX_CONVEX_LOG=json``.

Logs never go to stdout: stdout is for command results (and ``--json`` documents).
"""

from __future__ import annotations

import logging
import os
import sys

import structlog


class _DropClientNoise(logging.Filter):
    """The official convex client logs this warning when a subscription is closed on purpose (a cancelled
    watcher): not an error, and not for the user's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Retarting subscription dropped")


def configure(*, json_logs: bool | None = None, level: str | None = None) -> None:
    logging.getLogger().addFilter(_DropClientNoise())
    json_logs = json_logs if json_logs is not None else os.environ.get("CODEX_CONVEX_LOG") == "json"
    level_name = (level or os.environ.get("CODEX_CONVEX_LOG_LEVEL") or "WARNING").upper()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level_name)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
