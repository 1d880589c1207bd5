"""Sub-agents: threads the bound thread spawned (Codex's ``spawn_agent``, offered by default), running beside it.
Codex sends no ``thread/started`` for one, and ``thread/list`` leaves it out; its notifications and requests just
carry its thread id. Each is bound on first sight to a conversation of its own, linked to the parent's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import anyio
import structlog
from anyio.abc import TaskGroup

from ..errors import CodexConvexError
from ..events import thread_json
from ..events.text import cut_units
from ..host_api.limits import TITLE_MAX_CHARS
from ..protocol import host_models as codex
from ..protocol.notifications import Decoded
from ..replication.events import now_ms
from .bindings import Binding, Bindings
from .config import JsonObject

__all__ = ["SubAgents"]

log = structlog.get_logger("codex_convex.runtime")

# How long a sub-agent's first request waits for the spawn that names its task (notifications and requests arrive
# on separate paths: a request can overtake the spawn's end), before its conversation is opened without a title (it
# gets one when the spawn's end comes: its first events can come before it too).
TASK_WAIT_S = 2.0


class SubAgents:
    def __init__(self, bindings: Bindings, read_thread: Callable[[str], Awaitable[JsonObject]]) -> None:
        self.bindings = bindings
        self._read_thread = read_thread  # Codex's thread/read of a thread, without its turns
        self._lock = anyio.Lock()  # one is bound once, whichever of its events comes first
        self._not_agents: set[str] = set()  # threads seen that are no sub-agent of the bound thread
        self._tasks: dict[str, str] = {}  # a sub-agent's thread id → the task it was spawned with (its title)
        self._named: dict[str, anyio.Event] = {}  # set once that task is known
        self._untitled: dict[str, str] = {}  # a sub-agent bound before its task was known → its nickname
        self._tg: TaskGroup | None = None

    def note(self, decoded: Decoded) -> None:
        """Keep the task of each sub-agent a bound thread spawns (Codex's spawn item names them once done)."""
        match decoded.value:
            case codex.ItemCompletedNotification(item=codex.ThreadItem(root=codex.CollabAgentToolCallThreadItem(
                    tool=codex.CollabAgentTool.spawn_agent, prompt=str(task), receiver_thread_ids=spawned))):
                for thread_id in spawned:
                    self._tasks[thread_id] = task
                    self._named.setdefault(thread_id, anyio.Event()).set()
                    nickname = self._untitled.pop(thread_id, None)
                    if nickname is not None and self._tg is not None:
                        self._tg.start_soon(self._give_title, thread_id, _title(nickname, task))

    async def _give_title(self, thread_id: str, title: str) -> None:
        """Give a sub-agent's conversation, opened before its task was known, its title (its first: never a rename)."""
        api = self.bindings.api
        if api is None:
            return
        try:
            await api.sync_open_conversation_binding(thread_id=thread_id, title=title)
        except CodexConvexError as exc:
            log.warning("host.agent_untitled", thread_id=thread_id, error=str(exc))

    async def binding(self, thread_id: str, tg: TaskGroup, *, overtaking: bool = False) -> Binding | None:
        """The binding of a sub-agent of the bound thread (or of one of its sub-agents), bound on first sight (its
        thread read once for ``parentThreadId``); ``None`` for a thread that is not one (logged once).
        ``overtaking``: asked from a request, which may arrive before the notifications that name the agent's task
        (in notification order, the spawn's end always comes before the agent's own events)."""
        if overtaking and self.bindings.route(thread_id) is None and thread_id not in self._not_agents:
            with anyio.move_on_after(TASK_WAIT_S):  # its task, for its title (not waited for under the lock)
                await self._named.setdefault(thread_id, anyio.Event()).wait()
        async with self._lock:
            known = self.bindings.route(thread_id)
            if known is not None or thread_id in self._not_agents:
                return known
            b = self.bindings.current
            try:
                read = await self._read_thread(thread_id)
            except CodexConvexError as exc:
                log.warning("host.agent_unreadable", thread_id=thread_id, error=str(exc))
                return None
            raw = cast(dict[str, Any], read["thread"])
            thread = codex.ThreadReadResponse.model_validate(read).thread
            if b is None or thread.parent_thread_id not in {b.thread_id, *self.bindings.agents}:
                self._not_agents.add(thread_id)
                log.info("host.thread_not_bound", thread_id=thread_id, bound=b.thread_id if b else None,
                         note="another thread's events: not replicated by this host")
                return None
            nickname = thread.agent_nickname or "sub-agent"
            task = self._tasks.get(thread_id) or thread.preview
            self._tg = tg
            if not task:  # its first events came before the spawn that names its task: titled when that comes
                self._untitled[thread_id] = nickname
            agent = await self.bindings.bind_agent(thread_id, _title(nickname, task) if task else None, tg)
            log.info("host.agent_bound", thread_id=thread_id, parent=thread.parent_thread_id,
                     conversation_id=agent.conversation_id)
            agent.push([agent.mapper.thread_opened(thread)])
            if agent.replicator is not None:
                agent.push(list(thread_json(raw, now_ms())))  # Codex's own JSON of it, as for the bound thread
            return agent


def _title(nickname: str, task: str) -> str:
    return cut_units(f"{nickname}: {task}", TITLE_MAX_CHARS)
