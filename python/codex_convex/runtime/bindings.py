"""Thread bindings: which Codex thread the host drives, the Convex conversation it is bound to, and that
binding's live replication (an event mapper and a replicator running in the host's task group). The sub-agents that
thread spawns (Codex's ``spawn_agent``: threads of their own, running beside it) are bound too, each to a
conversation of its own linked to the parent's, for as long as the parent is bound."""

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
    watches: anyio.CancelScope | None = None  # the host's watches of the conversation (interrupt requests)
    model: str | None = None  # the thread's model and reasoning effort as Codex opened it (a turn's collaboration
    effort: str | None = None  # mode names them: HostConfig.experimental_api)

    def push(self, events: list[IngestEvent]) -> None:
        if self.replicator is not None and events:
            self.replicator.push(events)

    async def flush(self, timeout_s: float = 60.0) -> None:
        if self.replicator is not None:
            await self.replicator.flush(timeout_s)


class Bindings:
    """At most one bound thread at a time (and its sub-agents); binding another unbinds (flushes) the current one."""

    def __init__(self, api: HostApi | None, lifecycle: Lifecycle, coalescing: Coalescing | None = None) -> None:
        self.api = api
        self.lifecycle = lifecycle
        self.coalescing = coalescing
        self.current: Binding | None = None
        self.agents: dict[str, Binding] = {}  # thread id → the binding of a sub-agent of the current thread
        self.host_session_id: str | None = None  # the host's presence, given to each conversation it binds

    async def bind(self, thread_id: str, conversation_id: str | None, tg: TaskGroup) -> Binding:
        """Bind ``thread_id`` (to ``conversation_id`` when given, else the conversation Convex has for the thread,
        else a new one) and start replicating it."""
        await self.unbind()
        binding = await self._open(thread_id, conversation_id, None, tg)
        self.current = binding
        self.lifecycle.update(LifecycleSource.RUNTIME, conversation_id=binding.conversation_id, thread_id=thread_id)
        return binding

    async def bind_agent(self, thread_id: str, title: str | None, tg: TaskGroup) -> Binding:
        """Bind a sub-agent of the current thread to a conversation of its own (``title`` for a new one)."""
        binding = await self._open(thread_id, None, title, tg)
        self.agents[thread_id] = binding
        return binding

    def route(self, thread_id: str | None) -> Binding | None:
        """The binding a thread's events go to: the current one's, or a sub-agent's (``None``: not bound here)."""
        b = self.current
        if b is None or thread_id is None or thread_id == b.thread_id:
            return b
        return self.agents.get(thread_id)

    async def _open(self, thread_id: str, conversation_id: str | None, title: str | None, tg: TaskGroup) -> Binding:
        binding = Binding(thread_id, None, EventMapper(thread_id), None, None)
        if self.api is not None:
            opened = await self.api.sync_open_conversation_binding(thread_id=thread_id,
                                                                   conversation_id=conversation_id, title=title,
                                                                   host_session_id=self.host_session_id)
            binding.conversation_id = opened.conversation.conversation_id
            binding.created_conversation = opened.created
            binding.replicator = Replicator(self.api, binding.conversation_id, self.coalescing)
            binding.scope = anyio.CancelScope()
            await tg.start(self._replicate, binding.replicator, binding.scope)
        return binding

    @staticmethod
    async def _replicate(replicator: Replicator, scope: anyio.CancelScope, *,
                         task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        with scope:
            await replicator.run(task_status=task_status)

    async def unbind(self) -> None:
        """Flush the current binding's replication, and its sub-agents', and stop them."""
        bound = [b for b in (self.current, *self.agents.values()) if b is not None]
        self.current, self.agents = None, {}
        error: Exception | None = None
        for b in bound:
            if b.replicator is None:
                continue
            try:
                await b.replicator.flush()
            except Exception as exc:  # the others are flushed all the same; the first failure is raised after
                error = error or exc
            finally:
                if b.scope is not None:
                    b.scope.cancel()
                if b.watches is not None:
                    b.watches.cancel()
        if error is not None:
            raise error
