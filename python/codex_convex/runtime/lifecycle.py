"""The host's lifecycle: a state machine with a snapshot (:meth:`Lifecycle.state`) and a push stream
(:meth:`Lifecycle.subscribe`)."""

from __future__ import annotations

import enum
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from ..errors import CodexConvexError


class HostPhase(enum.StrEnum):
    # IDLE: created, nothing spawned yet.
    IDLE = "idle"
    # STARTING: spawning Codex and initializing the protocol.
    STARTING = "starting"
    # RUNNING: Codex answers; turns can be sent.
    RUNNING = "running"
    # STOPPING: flushing replication and closing Codex.
    STOPPING = "stopping"
    # STOPPED: closed on request; start() may run again.
    STOPPED = "stopped"
    # ERROR: Codex exited, wrote garbage or hung; `reason` says which. start() may run again.
    ERROR = "error"


class LifecycleSource(enum.StrEnum):
    RUNTIME = "runtime"  # the host changed state itself
    BRIDGE_EVENT = "bridge_event"  # a Codex notification moved it (thread or turn changes)
    PROTOCOL_ERROR = "protocol_error"  # Codex wrote something the protocol does not allow, or a call hung
    PROCESS_EXIT = "process_exit"  # the Codex process exited


_TRANSITIONS: dict[HostPhase, frozenset[HostPhase]] = {
    HostPhase.IDLE: frozenset({HostPhase.STARTING}),
    HostPhase.STARTING: frozenset({HostPhase.RUNNING, HostPhase.ERROR, HostPhase.STOPPING}),
    HostPhase.RUNNING: frozenset({HostPhase.RUNNING, HostPhase.STOPPING, HostPhase.ERROR}),
    HostPhase.STOPPING: frozenset({HostPhase.STOPPED, HostPhase.ERROR}),
    HostPhase.STOPPED: frozenset({HostPhase.STARTING}),
    HostPhase.ERROR: frozenset({HostPhase.STARTING, HostPhase.STOPPING, HostPhase.ERROR}),
}


@dataclass(frozen=True)
class LifecycleState:
    phase: HostPhase
    source: LifecycleSource
    updated_at_ms: float
    conversation_id: str | None = None  # the Convex-owned conversation
    thread_id: str | None = None  # the Codex thread
    turn_id: str | None = None
    reason: str | None = None

    @property
    def running(self) -> bool:
        return self.phase is HostPhase.RUNNING


class IllegalTransitionError(CodexConvexError):
    code = "E_LIFECYCLE_ILLEGAL_TRANSITION"


class Lifecycle:
    def __init__(self) -> None:
        self._state = LifecycleState(HostPhase.IDLE, LifecycleSource.RUNTIME, time.time() * 1000)
        self._subscribers: list[MemoryObjectSendStream[LifecycleState]] = []

    def state(self) -> LifecycleState:
        return self._state

    def set_phase(self, phase: HostPhase, source: LifecycleSource = LifecycleSource.RUNTIME,
                  reason: str | None = None) -> None:
        if phase not in _TRANSITIONS[self._state.phase]:
            raise IllegalTransitionError(f"{self._state.phase} → {phase} is not allowed")
        self._publish(replace(self._state, phase=phase, source=source, reason=reason))

    def update(self, source: LifecycleSource = LifecycleSource.BRIDGE_EVENT, **fields: str | None) -> None:
        """Change conversation/thread/turn fields without changing phase."""
        self._publish(replace(self._state, source=source, **fields))  # type: ignore[arg-type]

    def _publish(self, state: LifecycleState) -> None:
        self._state = replace(state, updated_at_ms=time.time() * 1000)
        for s in list(self._subscribers):
            try:
                s.send_nowait(self._state)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._subscribers.remove(s)

    async def subscribe(self) -> AsyncIterator[LifecycleState]:
        """The current state, then every change, in order."""
        send, receive = anyio.create_memory_object_stream[LifecycleState](math.inf)
        send.send_nowait(self._state)
        self._subscribers.append(send)
        try:
            async with receive:
                async for st in receive:
                    yield st
        finally:
            if send in self._subscribers:
                self._subscribers.remove(send)
            send.close()
