"""The seam between the RPC layer and a Codex process: send a line, receive lines, close.

``StdioTransport`` runs the real ``codex app-server`` (stdout read through a buffered reader, stderr drained into
structlog so the pipe never fills); ``MemoryTransport`` is its in-memory twin for unit tests of the RPC layer.
"""

from __future__ import annotations

import abc
import math
import subprocess
from pathlib import Path

import anyio
import structlog
from anyio.abc import Process, TaskGroup
from anyio.streams.buffered import BufferedByteReceiveStream

from ..errors import TransportClosedError

log = structlog.get_logger("codex_convex.codex")

# One protocol line may carry a whole item; Codex keeps 1.5 MiB agent messages whole and ~1 MiB of command output.
MAX_LINE_BYTES = 64 * 1024 * 1024


class Transport(abc.ABC):
    @abc.abstractmethod
    async def send(self, line: bytes) -> None:
        """Write one JSON line (without the newline)."""

    @abc.abstractmethod
    async def receive(self) -> bytes:
        """Next line without its newline. :raises TransportClosedError: at end of stream."""

    @abc.abstractmethod
    async def aclose(self) -> None: ...

    @property
    def exit_code(self) -> int | None:
        return None

    @property
    def stderr_tail(self) -> list[str]:
        """The last lines the process wrote to stderr (none for an in-memory transport)."""
        return []

    def kill(self) -> None:  # noqa: B027 - optional: a transport without a process has nothing to kill
        """Kill the process at once (crash handling)."""


class StdioTransport(Transport):
    """A running ``codex app-server --listen stdio://``."""

    def __init__(self, process: Process, tg: TaskGroup) -> None:
        self._process = process
        assert process.stdout is not None and process.stdin is not None
        self._reader = BufferedByteReceiveStream(process.stdout)
        self._send_lock = anyio.Lock()
        self._stderr_tail: list[str] = []
        tg.start_soon(self._drain_stderr)

    @classmethod
    async def spawn(cls, binary: Path, env: dict[str, str], cwd: Path, tg: TaskGroup,
                    extra_args: list[str] | None = None) -> StdioTransport:
        args = [str(binary), "app-server", "--listen", "stdio://",
                "--disable", "unbounded_connection_retries", *(extra_args or [])]
        process = await anyio.open_process(args, env=env, cwd=str(cwd), stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        log.debug("codex.spawned", pid=process.pid)
        return cls(process, tg)

    @property
    def pid(self) -> int:
        return self._process.pid

    async def _drain_stderr(self) -> None:
        assert self._process.stderr is not None
        reader = BufferedByteReceiveStream(self._process.stderr)
        try:
            while True:
                line = (await reader.receive_until(b"\n", MAX_LINE_BYTES)).decode("utf-8", "replace")
                self._stderr_tail = [*self._stderr_tail[-19:], line]
                log.info("codex.stderr", line=line)
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.ClosedResourceError, anyio.BrokenResourceError):
            return

    async def send(self, line: bytes) -> None:
        assert self._process.stdin is not None
        async with self._send_lock:
            try:
                await self._process.stdin.send(line + b"\n")
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                raise TransportClosedError("the Codex app-server's stdin is closed") from exc

    async def receive(self) -> bytes:
        try:
            return await self._reader.receive_until(b"\n", MAX_LINE_BYTES)
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.ClosedResourceError,
                anyio.BrokenResourceError) as exc:
            raise TransportClosedError("the Codex app-server closed its stdout") from exc

    @property
    def exit_code(self) -> int | None:
        return self._process.returncode

    @property
    def stderr_tail(self) -> list[str]:
        return self._stderr_tail

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            try:
                if self._process.stdin is not None:
                    await self._process.stdin.aclose()
                with anyio.move_on_after(3):
                    await self._process.wait()
                if self._process.returncode is None:
                    self._process.terminate()
                    with anyio.move_on_after(3):
                        await self._process.wait()
                if self._process.returncode is None:
                    self._process.kill()
                    await self._process.wait()
            finally:
                # Close every pipe inside the event loop (a pipe left to the garbage collector would be closed
                # after the loop is gone, e.g. when a grandchild still holds stdout).
                await self._process.aclose()

    def kill(self) -> None:
        """Kill the process at once (tests of crash handling)."""
        self._process.kill()


class MemoryTransport(Transport):
    """An in-memory pair of line streams; ``peer`` is what a fake server reads and writes."""

    def __init__(self) -> None:
        self._to_peer_send, self.peer_receive = anyio.create_memory_object_stream[bytes](math.inf)
        self.peer_send, self._from_peer_receive = anyio.create_memory_object_stream[bytes](math.inf)

    async def send(self, line: bytes) -> None:
        try:
            await self._to_peer_send.send(line)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise TransportClosedError("memory transport closed") from exc

    async def receive(self) -> bytes:
        try:
            return await self._from_peer_receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError) as exc:
            raise TransportClosedError("memory transport closed") from exc

    async def aclose(self) -> None:
        await self._to_peer_send.aclose()
        await self._from_peer_receive.aclose()

    def kill(self) -> None:
        """Like a process dying: the stream from the peer ends."""
        self.peer_send.close()


__all__ = ["MemoryTransport", "StdioTransport", "Transport"]
