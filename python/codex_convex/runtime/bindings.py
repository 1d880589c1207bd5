"""Thread bindings: which Codex thread the host drives, the Convex conversation it is bound to, and that
binding's live replication (an event mapper and a replicator running in the host's task group)."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from anyio.abc import TaskGroup

from ..host_api import HostApi
from ..host_api.models import IngestEvent
from ..replication import Coalescing, EventMapper, Replicator
from .lifecycle import Lifecycle, LifecycleSource

__all__ = ["Binding", "Bindings"]


@dataclass
class Binding:
    thread_id: str
    conversation_id: str | None  # None in codex-only mode
    mapper: EventMapper
    replicator: Replicator | None
    scope: anyio.CancelScope | None
    created_conversation: bool = False  # the binding opened a new conversation (nothing of the thread in Convex)

    def push(self, events: list[IngestEvent]) -> None:
        if self.replicator is not None and events:
            self.replicator.push(events)

    async def flush(self, timeout_s: float = 60.0) -> None:
        if self.replicator is not None:
            await self.replicator.flush(timeout_s)


class Bindings:
    """At most one bound thread at a time; binding another unbinds (flushes) the current one."""

    def __init__(self, api: HostApi | None, lifecycle: Lifecycle, coalescing: Coalescing | None = None) -> None:
        self.api = api
        self.lifecycle = lifecycle
        self.coalescing = coalescing
        self.current: Binding | None = None
        self.host_session_id: str | None = None  # the host's presence, given to each conversation it binds

    async def bind(self, thread_id: str, conversation_id: str | None, tg: TaskGroup) -> Binding:
        """Bind ``thread_id`` (to ``conversation_id`` when given, else the conversation Convex has for the thread,
        else a new one) and start replicating it."""
        await self.unbind()
        mapper = EventMapper(thread_id)
        binding = Binding(thread_id, None, mapper, None, None)
        if self.api is not None:
            opened = await self.api.sync_open_conversation_binding(thread_id=thread_id,
                                                                   conversation_id=conversation_id,
                                                                   host_session_id=self.host_session_id)
            binding.conversation_id = opened.conversation.conversation_id
            binding.created_conversation = opened.created
            binding.replicator = Replicator(self.api, binding.conversation_id, self.coalescing)
            binding.scope = anyio.CancelScope()
            await tg.start(self._replicate, binding.replicator, binding.scope)
        self.current = binding
        self.lifecycle.update(LifecycleSource.RUNTIME, conversation_id=binding.conversation_id, thread_id=thread_id)
        return binding

    @staticmethod
    async def _replicate(replicator: Replicator, scope: anyio.CancelScope, *,
                         task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        with scope:
            await replicator.run(task_status=task_status)

    async def unbind(self) -> None:
        """Flush the current binding's replication and stop it."""
        b, self.current = self.current, None
        if b is None or b.replicator is None:
            return
        try:
            await b.replicator.flush()
        finally:
            if b.scope is not None:
                b.scope.cancel()
