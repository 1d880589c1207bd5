"""Host presence: this host process's session in Convex, kept alive by a heartbeat on its own row (never on a
conversation's), at a fixed rate that does not depend on streaming. If the host dies, the component's sweep ends
what it left open after ``host_timeout_s``; if it was only paused past that and heartbeats again, it is told it was
revived, and the host reconciles its conversation from Codex."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Awaitable, Callable

import anyio
import structlog

from .. import __version__
from ..errors import ConvexApiError, ConvexTransportError
from ..host_api import HostApi
from ..host_api.models import HostSession

log = structlog.get_logger("codex_convex.presence")

__all__ = ["Presence"]


class Presence:
    """One host session: :meth:`open`, then :meth:`run` in the host's task group until :meth:`close`."""

    def __init__(self, api: HostApi, *, heartbeat_s: float, timeout_s: float, label: str | None = None,
                 on_revived: Callable[[], Awaitable[None]] | None = None) -> None:
        self.api = api
        self.heartbeat_s = heartbeat_s
        self.timeout_s = timeout_s
        self.label = label or socket.gethostname()
        self.host_id = f"host-{uuid.uuid4()}"
        self.session: HostSession | None = None
        self.heartbeats = 0  # writes made by this host's heartbeat (the bench reports them per hour)
        self._on_revived = on_revived

    @property
    def session_id(self) -> str | None:
        return self.session.session_id if self.session else None

    async def open(self) -> HostSession:
        self.session = await self.api.open_host_session(
            host_id=self.host_id, label=self.label, version=__version__,
            heartbeat_ms=self.heartbeat_s * 1000, timeout_ms=self.timeout_s * 1000)
        return self.session

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while self.session is not None:
            await anyio.sleep(self.heartbeat_s)
            try:
                beat = await self.api.heartbeat_host_session(session_id=self.session.session_id)
            except ConvexTransportError as exc:  # the deployment is unreachable: keep trying, it may come back
                log.warning("presence.heartbeat_failed", error=str(exc))
                continue
            except ConvexApiError as exc:  # the session was closed: nothing to keep alive
                log.warning("presence.heartbeat_refused", code=exc.code, error=exc.message)
                return
            self.heartbeats += 1
            if beat.revived:
                log.warning("presence.revived", host_id=self.host_id)
                if self._on_revived is not None:
                    await self._on_revived()

    async def close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            try:
                await self.api.close_host_session(session_id=session.session_id)
            except (ConvexApiError, ConvexTransportError) as exc:  # the sweep will find it silent instead
                log.warning("presence.close_failed", code=exc.code, error=exc.message)
