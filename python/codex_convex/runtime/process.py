"""Process supervision: one Codex app-server at a time — spawned and initialized, its notifications pumped in
order, every request under a deadline, and its exit or a protocol error reported through the lifecycle.

The app-server comes from an :data:`AppServerOpener` (the real ``codex app-server`` by default); unit tests pass
one that serves a fake Codex over an in-memory transport.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import structlog
from anyio.abc import TaskGroup
from pydantic import BaseModel

from ..codex import Notification
from ..codex.rpc import ProtocolErrorHandler, RpcRequestHandler
from ..codex.session import AppServer, open_app_server
from ..errors import CodexConvexError, CodexError, RpcTimeoutError, TransportClosedError
from ..protocol.validate import validate
from .config import HostConfig, JsonObject
from .lifecycle import HostPhase, Lifecycle, LifecycleSource

log = structlog.get_logger("codex_convex.host")

M = TypeVar("M", bound=BaseModel)

AppServerOpener = Callable[[HostConfig, RpcRequestHandler, ProtocolErrorHandler],
                           contextlib.AbstractAsyncContextManager[AppServer]]
NotificationSink = Callable[[Notification], Awaitable[None]]
ExitHandler = Callable[[str], Awaitable[None]]


class HostNotRunningError(CodexConvexError):
    code = "E_HOST_NOT_RUNNING"


def real_app_server(config: HostConfig, on_server_request: RpcRequestHandler,
                    on_protocol_error: ProtocolErrorHandler) -> contextlib.AbstractAsyncContextManager[AppServer]:
    """The pinned ``codex app-server`` binary, with the config's ``CODEX_HOME``, working folder and environment."""
    return open_app_server(config.codex_home, cwd=config.cwd, on_server_request=on_server_request,
                           on_protocol_error=on_protocol_error, env_extra=config.env_extra,
                           experimental_api=config.experimental_api)


class CodexProcess:
    """Runs the app-server inside the owner's task group; restartable (:meth:`start` after a stop or an error)."""

    def __init__(self, config: HostConfig, lifecycle: Lifecycle, *, on_notification: NotificationSink,
                 on_server_request: RpcRequestHandler, on_exit: ExitHandler,
                 opener: AppServerOpener = real_app_server) -> None:
        self.config = config
        self.lifecycle = lifecycle
        self._on_notification = on_notification
        self._on_server_request = on_server_request
        self._on_exit = on_exit
        self._opener = opener
        self._tg: TaskGroup | None = None
        self._app: AppServer | None = None
        self._scope: anyio.CancelScope | None = None
        self._generation = 0  # which app-server process is the current one

    async def start(self, tg: TaskGroup) -> None:
        """Spawn and initialize Codex. :raises CodexError: it could not be started (the lifecycle says why)."""
        self._tg = tg
        self.lifecycle.set_phase(HostPhase.STARTING)
        ready = anyio.Event()
        failure: list[BaseException] = []
        tg.start_soon(self._run, ready, failure)
        await ready.wait()
        if failure:
            self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROCESS_EXIT, str(failure[0]))
            raise failure[0]
        self.lifecycle.set_phase(HostPhase.RUNNING)

    async def _run(self, ready: anyio.Event, failure: list[BaseException]) -> None:
        self._generation += 1
        generation = self._generation
        with anyio.CancelScope() as scope:
            self._scope = scope
            try:
                async with self._opener(self.config, self._on_server_request, self._protocol_error) as app:
                    self._app = app
                    ready.set()
                    async with anyio.create_task_group() as inner:
                        inner.start_soon(self._pump, app)
                        await app.rpc.closed.wait()
                        inner.cancel_scope.cancel()
                    if generation == self._generation:  # a process replaced by a restart reports nothing
                        await self._exited(app)
            except (CodexError, OSError) as exc:
                failure.append(exc)
            finally:
                if generation == self._generation:
                    self._app = None
                ready.set()

    async def _pump(self, app: AppServer) -> None:
        """Notifications strictly in the order Codex wrote them."""
        while True:
            try:
                n = await app.rpc.next_notification()
            except TransportClosedError:
                return
            await self._on_notification(n)

    async def _exited(self, app: AppServer) -> None:
        if self.lifecycle.state().phase in (HostPhase.STOPPING, HostPhase.ERROR):
            return  # stopping on purpose, or already failed with its own reason (e.g. a protocol error)
        tail = " | ".join(app.transport.stderr_tail[-3:])
        reason = f"Codex exited: {app.rpc.close_reason}" + (f" ({tail})" if tail else "")
        log.error("host.codex_exited", reason=reason)
        await self._on_exit(reason)
        self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROCESS_EXIT, reason)

    def _protocol_error(self, message: str) -> None:
        # A line we cannot parse means the stream can no longer be trusted: stop this process (its open turns are
        # persisted as failed); a lifecycle-safe send restarts it.
        log.error("host.protocol_error", message=message)
        if self.lifecycle.state().phase is HostPhase.RUNNING:
            self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROTOCOL_ERROR, message)
            assert self._tg is not None
            self._tg.start_soon(self._kill_after, message)

    async def _kill_after(self, message: str) -> None:
        await self._on_exit(message)
        self.kill()

    async def stop(self) -> None:
        """Close Codex (stdin closed, then terminate and kill after a grace period)."""
        if self._app is not None:
            await self._app.transport.aclose()
        if self._scope is not None:
            self._scope.cancel()

    def kill(self) -> None:
        """Kill the Codex process at once."""
        if self._app is not None:
            self._app.transport.kill()

    async def request(self, method: str, params: JsonObject | None = None) -> Any:
        """Any app-server request, with the configured deadline; a hung call turns into a lifecycle error.

        :raises HostNotRunningError: Codex is not running.
        """
        if self._app is None or self.lifecycle.state().phase is not HostPhase.RUNNING:
            raise HostNotRunningError(f"Codex is not running (phase {self.lifecycle.state().phase})")
        try:
            return await self._app.rpc.request(method, params, timeout_s=self.config.rpc_timeout_s)
        except RpcTimeoutError as exc:
            self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROTOCOL_ERROR, str(exc))
            raise

    async def call(self, method: str, params: JsonObject, result: type[M]) -> M:
        """A request whose result is validated as the pinned protocol's model for it.

        :raises OffProtocolError: Codex answered in a shape the pinned protocol does not allow.
        """
        return validate(result, await self.request(method, params), f"the result of {method}")
