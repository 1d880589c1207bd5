"""The host runtime: one Codex app-server, its lifecycle, the active thread and its live replication.

Owns the Codex process (via ``codex/``), the conversation binding and the replicator; talks to Convex only through
the typed host API (HTTP) and a subscriber (approvals).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import structlog
from anyio.abc import TaskGroup

from ..codex import RpcClient, ServerRequest
from ..codex.session import AppServer, open_app_server
from ..convex_api import ConvexHttp, Subscriber, TokenProvider
from ..errors import (
    CodexConvexError,
    CodexError,
    PersistenceDisabledError,
    RpcTimeoutError,
    TransportClosedError,
)
from ..host_api import HostApi
from ..replication import EventMapper, Replicator
from ..replication.events import now_ms
from .approvals import answer_locally, answer_via_convex
from .config import HostConfig, HostMode, ServerRequestInfo
from .deletion import watch_deletion
from .lifecycle import HostPhase, Lifecycle, LifecycleSource, LifecycleState
from .watch import ConversationSnapshot, Optimistic, watch_conversation

log = structlog.get_logger("codex_convex.host")


class HostNotRunningError(CodexConvexError):
    code = "E_HOST_NOT_RUNNING"


class NoThreadError(CodexConvexError):
    code = "E_HOST_NO_THREAD"


@dataclass(frozen=True)
class TurnResult:
    turn_id: str
    status: str  # completed | interrupted | failed
    error: dict[str, Any] | None
    text: str  # the turn's last agent message
    conversation_id: str | None
    thread_id: str


@dataclass
class _Binding:
    thread_id: str
    conversation_id: str | None
    mapper: EventMapper
    replicator: Replicator | None
    scope: anyio.CancelScope | None


class CodexHost:
    """Drive Codex and (in ``codex+replica`` mode) mirror everything into Convex. Use ``async with``."""

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.lifecycle = Lifecycle()
        self._tg: TaskGroup | None = None
        self._app: AppServer | None = None
        self._app_cm: contextlib.AbstractAsyncContextManager[AppServer] | None = None
        self._proc_scope: anyio.CancelScope | None = None
        self._binding: _Binding | None = None
        self._turn_done: dict[str, anyio.Event] = {}
        self._turn_results: dict[str, dict[str, Any]] = {}
        self._last_text: dict[str, str] = {}
        self._http: ConvexHttp | None = None
        self.api: HostApi | None = None
        self._subscriber: Subscriber | None = None
        self._optimistic = Optimistic()
        self._bound_new_conversation = False
        self._generation = 0  # which app-server process is the current one
        if config.mode is HostMode.REPLICA:
            if not config.convex_url:
                raise CodexConvexError("codex+replica mode needs convex_url", code="E_HOST_CONFIG")
            tokens = TokenProvider(config.token)  # one provider: HTTP calls and subscriptions renew together
            self._http = ConvexHttp(config.convex_url, token=tokens)
            self.api = HostApi(self._http)
            self._subscriber = Subscriber(config.convex_url, token=tokens, http=self._http)

    # ----- lifecycle -----------------------------------------------------------------------------------------

    def lifecycle_state(self) -> LifecycleState:
        return self.lifecycle.state()

    def subscribe_lifecycle(self) -> AsyncIterator[LifecycleState]:
        return self.lifecycle.subscribe()

    async def __aenter__(self) -> CodexHost:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        if self._subscriber is not None:
            self._tg.start_soon(self._subscriber.keep_auth_fresh)
        try:
            await self.start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.stop()
        finally:
            assert self._tg is not None
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            if self._http is not None:
                await self._http.aclose()

    async def start(self) -> None:
        """Spawn and initialize Codex (again, after a stop or an error)."""
        assert self._tg is not None, "use `async with CodexHost(...)`"
        self.lifecycle.set_phase(HostPhase.STARTING)
        if self.api is not None:
            await self.api.validate_host_wiring()
        ready = anyio.Event()
        failure: list[BaseException] = []
        self._tg.start_soon(self._run_process, ready, failure)
        await ready.wait()
        if failure:
            self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROCESS_EXIT, str(failure[0]))
            raise failure[0]
        self.lifecycle.set_phase(HostPhase.RUNNING)

    async def _run_process(self, ready: anyio.Event, failure: list[BaseException]) -> None:
        self._generation += 1
        generation = self._generation
        with anyio.CancelScope() as scope:
            self._proc_scope = scope
            try:
                async with open_app_server(self.config.codex_home, cwd=self.config.cwd,
                                           on_server_request=self._on_server_request,
                                           on_protocol_error=self._on_protocol_error,
                                           env_extra=self.config.env_extra) as app:
                    self._app = app
                    ready.set()
                    async with anyio.create_task_group() as inner:
                        inner.start_soon(self._pump, app.rpc)
                        await app.rpc.closed.wait()
                        inner.cancel_scope.cancel()
                    if generation == self._generation:  # a process replaced by a restart reports nothing
                        await self._on_process_exit(app)
            except (CodexError, OSError) as exc:
                failure.append(exc)
                ready.set()
            finally:
                if generation == self._generation:
                    self._app = None
                ready.set()

    async def _on_process_exit(self, app: AppServer) -> None:
        if self.lifecycle.state().phase in (HostPhase.STOPPING, HostPhase.ERROR):
            return  # stopping on purpose, or already failed with its own reason (e.g. a protocol error)
        tail = " | ".join(app.transport.stderr_tail[-3:])
        reason = f"Codex exited: {app.rpc.close_reason}" + (f" ({tail})" if tail else "")
        log.error("host.codex_exited", reason=reason)
        await self._fail_open_turns(reason)
        self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROCESS_EXIT, reason)

    def _on_protocol_error(self, message: str) -> None:
        # A line we cannot parse means the stream can no longer be trusted: stop this process (its turn is
        # persisted as failed); a lifecycle-safe send restarts it.
        log.error("host.protocol_error", message=message)
        if self.lifecycle.state().phase is HostPhase.RUNNING:
            self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROTOCOL_ERROR, message)
            assert self._tg is not None
            self._tg.start_soon(self._kill_after_protocol_error, message)

    async def _kill_after_protocol_error(self, message: str) -> None:
        await self._fail_open_turns(message)
        if self._app is not None:
            self._app.transport.kill()

    async def _fail_open_turns(self, reason: str) -> None:
        b = self._binding
        for turn_id, done in list(self._turn_done.items()):
            if done.is_set():
                continue
            self._turn_results[turn_id] = {"id": turn_id, "status": "failed", "error": {"message": reason}}
            if b is not None and b.replicator is not None:
                b.replicator.push([{"type": "turnCompleted", "threadId": b.thread_id, "turnId": turn_id,
                                    "status": "failed", "error": {"message": reason}, "at": now_ms()}])
                with contextlib.suppress(CodexConvexError, TimeoutError):
                    await b.replicator.flush(timeout_s=10)
            done.set()

    async def stop(self) -> None:
        """Flush replication and close Codex."""
        st = self.lifecycle.state().phase
        if st in (HostPhase.IDLE, HostPhase.STOPPED):
            return
        self.lifecycle.set_phase(HostPhase.STOPPING)
        await self._unbind()
        if self._app is not None:
            await self._app.transport.aclose()
        if self._proc_scope is not None:
            self._proc_scope.cancel()
        self.lifecycle.set_phase(HostPhase.STOPPED)

    def kill_codex(self) -> None:
        """Kill the Codex process at once (fault tests)."""
        if self._app is not None:
            self._app.transport.kill()

    # ----- protocol ------------------------------------------------------------------------------------------

    def _rpc(self) -> RpcClient:
        if self._app is None or self.lifecycle.state().phase is not HostPhase.RUNNING:
            raise HostNotRunningError(f"Codex is not running (phase {self.lifecycle.state().phase})")
        return self._app.rpc

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Any app-server request, with the configured deadline; a hung call turns into a lifecycle error."""
        try:
            return await self._rpc().request(method, params, timeout_s=self.config.rpc_timeout_s)
        except RpcTimeoutError as exc:
            self.lifecycle.set_phase(HostPhase.ERROR, LifecycleSource.PROTOCOL_ERROR, str(exc))
            raise

    async def _pump(self, rpc: RpcClient) -> None:
        """Handle notifications strictly in order: lifecycle, replication, turn completion."""
        while True:
            try:
                n = await rpc.next_notification()
            except TransportClosedError:
                return
            if self.config.on_notification is not None:
                self.config.on_notification(n.method, n.params)
            b = self._binding
            if n.method == "turn/started":
                self.lifecycle.update(turn_id=n.params["turn"]["id"])
            if n.method == "item/completed" and n.params.get("item", {}).get("type") == "agentMessage":
                self._last_text[n.params["turnId"]] = str(n.params["item"].get("text", ""))
            if b is not None and b.replicator is not None:
                b.replicator.push(b.mapper.map(n.method, n.params))
            if n.method == "turn/completed":
                turn = n.params["turn"]
                self._turn_results[turn["id"]] = turn
                self.lifecycle.update(turn_id=None)
                done = self._turn_done.setdefault(turn["id"], anyio.Event())
                done.set()

    async def _on_server_request(self, req: ServerRequest) -> Any:
        b = self._binding
        params = req.params
        info = ServerRequestInfo(str(req.id), req.method, str(params.get("threadId", "")),
                                 str(params.get("turnId", "")), params.get("itemId"), params,
                                 b.conversation_id if b else None)
        if b is None or b.replicator is None or self.api is None or self._subscriber is None:
            return await answer_locally(info, self.config.on_server_request)
        b.replicator.push([b.mapper.server_request(info.request_id, req.method, params)])
        await b.replicator.flush()
        return await answer_via_convex(info, self.config.on_server_request, self.api, self._subscriber)

    # ----- threads and conversations -------------------------------------------------------------------------

    def _require_api(self) -> HostApi:
        if self.api is None:
            raise PersistenceDisabledError("this host runs in codex-only mode: nothing is persisted to Convex")
        return self.api

    async def _unbind(self) -> None:
        b, self._binding = self._binding, None
        if b is None or b.replicator is None:
            return
        try:
            await b.replicator.flush()
        finally:
            if b.scope is not None:
                b.scope.cancel()

    async def _bind(self, thread_id: str, conversation_id: str | None, thread: dict[str, Any] | None) -> _Binding:
        await self._unbind()
        mapper = EventMapper(thread_id)
        replicator = None
        scope = None
        self._bound_new_conversation = False
        if self.api is not None:
            opened = await self.api.sync_open_conversation_binding(thread_id=thread_id,
                                                                   conversation_id=conversation_id)
            conversation_id = opened["conversation"]["conversationId"]
            self._bound_new_conversation = bool(opened["created"])
            assert conversation_id is not None and self._tg is not None
            replicator = Replicator(self.api, conversation_id)
            scope = anyio.CancelScope()
            started = anyio.Event()

            async def run(r: Replicator = replicator, s: anyio.CancelScope = scope) -> None:
                with s:
                    await r.run(task_status=_Started(started))

            self._tg.start_soon(run)
            await started.wait()
            if thread is not None:
                replicator.push(mapper.map("thread/started", {"threadId": thread_id, "thread": thread}))
        self._binding = _Binding(thread_id, conversation_id, mapper, replicator, scope)
        self.lifecycle.update(LifecycleSource.RUNTIME, conversation_id=conversation_id,
                              runtime_conversation_id=thread_id)
        return self._binding

    async def open_thread(self, strategy: str = "start", *, thread_id: str | None = None,
                          conversation_id: str | None = None, persisted_conversation_id: str | None = None,
                          **params: Any) -> str:
        """Open a thread: ``start`` a new one, ``resume`` or ``fork`` an existing one (by ``thread_id``).

        In replica mode the thread is bound to a conversation (``persisted_conversation_id`` pins one) and returned
        as the conversation id; in codex-only mode the thread id is returned.

        :raises CodexConvexError: ``E_HOST_BAD_THREAD_ID`` for an empty id on resume/fork.
        """
        if strategy not in ("start", "resume", "fork"):
            raise CodexConvexError(f"unknown strategy {strategy!r}", code="E_HOST_BAD_STRATEGY")
        if strategy != "start":
            if thread_id is None or not thread_id.strip():
                raise CodexConvexError(f"{strategy} needs a non-empty thread id", code="E_HOST_BAD_THREAD_ID")
            thread_id = thread_id.strip()
        if strategy == "start":
            res = await self.request("thread/start", {"cwd": str(self.config.cwd), **params})
        elif strategy == "resume":
            res = await self.request("thread/resume", {"threadId": thread_id, **params})
        else:
            res = await self.request("thread/fork", {"threadId": thread_id, **params})
        thread = res["thread"]
        b = await self._bind(thread["id"], persisted_conversation_id or (conversation_id if strategy == "resume"
                                                                         else None), thread)
        if self.api is not None and (strategy == "fork" or (strategy == "resume" and self._bound_new_conversation)):
            # The thread already has history Convex has not seen (a fork carries its parent's turns; a resumed
            # thread may come from codex-only use): import it, so the conversation equals the thread.
            result = await self.import_local_thread(thread["id"], conversation_id=b.conversation_id)
            if result.state != "synced":
                raise CodexConvexError(f"importing the history of {strategy}ed thread {thread['id']} ended "
                                       f"{result.state}: {result.error}", code="E_HOST_HISTORY_IMPORT_FAILED")
        return b.conversation_id or b.thread_id

    async def resume_thread(self, thread_id: str, **kw: Any) -> str:
        return await self.open_thread("resume", thread_id=thread_id, **kw)

    async def fork_thread(self, thread_id: str, **kw: Any) -> str:
        return await self.open_thread("fork", thread_id=thread_id, **kw)

    @property
    def thread_id(self) -> str | None:
        return self._binding.thread_id if self._binding else None

    @property
    def conversation_id(self) -> str | None:
        return self._binding.conversation_id if self._binding else None

    def _active(self) -> _Binding:
        if self._binding is None:
            raise NoThreadError("open a thread first (open_thread / new_conversation)")
        return self._binding

    async def _ensure_running(self) -> None:
        if self.lifecycle.state().phase is HostPhase.RUNNING:
            return
        if not self.config.lifecycle_safe_send:
            raise HostNotRunningError(
                f"Codex is {self.lifecycle.state().phase}: start() it, or opt in with lifecycle_safe_send=True")
        b = self._binding
        await self.start()
        if b is not None:
            try:
                await self.open_thread("resume", thread_id=b.thread_id, persisted_conversation_id=b.conversation_id)
            except CodexError as exc:
                raise CodexConvexError(f"Codex restarted but could not resume thread {b.thread_id}: {exc}",
                                       code="E_HOST_RESUME_FAILED") from exc

    def watch_conversation(self, conversation_id: str | None = None, *,
                           page_size: int = 50) -> AsyncIterator[ConversationSnapshot]:
        """Live snapshots of a conversation (messages, pending approvals, sync progress), with this host's sends
        shown at once as optimistic entries. :raises PersistenceDisabledError: in codex-only mode."""
        self._require_api()
        cid = conversation_id or self._active().conversation_id
        assert cid is not None and self._subscriber is not None
        return watch_conversation(self._subscriber, cid, page_size=page_size, optimistic=self._optimistic)

    async def send(self, text: str, **turn_params: Any) -> TurnResult:
        """Run one turn and wait for it; its final state is persisted before this returns.

        :raises CodexConvexError: ``E_HOST_SYNC_IN_PROGRESS`` while an import of this conversation is syncing.
        """
        await self._ensure_running()
        b = self._active()
        if self.api is not None and b.conversation_id is not None:
            got = await self.api.get_conversation(conversation_id=b.conversation_id)
            if got["found"] and got["conversation"]["syncState"] == "syncing":
                raise CodexConvexError("an import of this conversation is still syncing: wait for it to finish",
                                       code="E_HOST_SYNC_IN_PROGRESS")
            self._optimistic.add(b.conversation_id, text, now_ms())
        params = {"threadId": b.thread_id, "input": [{"type": "text", "text": text}],
                  "approvalPolicy": self.config.approval_policy, **turn_params}
        res = await self.request("turn/start", params)
        turn_id = res["turn"]["id"]
        done = self._turn_done.setdefault(turn_id, anyio.Event())
        with anyio.fail_after(self.config.turn_timeout_s):
            await done.wait()
        if b.replicator is not None:
            await b.replicator.flush()
        turn = self._turn_results.pop(turn_id, {"status": "failed"})
        self._turn_done.pop(turn_id, None)
        return TurnResult(turn_id, str(turn.get("status")), turn.get("error"), self._last_text.pop(turn_id, ""),
                          b.conversation_id, b.thread_id)

    async def steer(self, text: str, *, expected_turn_id: str) -> Any:
        b = self._active()
        return await self.request("turn/steer", {"threadId": b.thread_id, "expectedTurnId": expected_turn_id,
                                                 "input": [{"type": "text", "text": text}]})

    async def interrupt_conversation(self, turn_id: str | None = None) -> None:
        b = self._active()
        tid = turn_id or self.lifecycle.state().turn_id
        if tid is None:
            return
        await self.request("turn/interrupt", {"threadId": b.thread_id, "turnId": tid})

    async def read_thread(self, thread_id: str | None = None, include_turns: bool = True) -> Any:
        return await self.request("thread/read", {"threadId": thread_id or self._active().thread_id,
                                                  "includeTurns": include_turns})

    async def list_threads(self, *, limit: int = 25, cursor: str | None = None) -> dict[str, Any]:
        """``{data: [{threadId, preview, updatedAt, messageCount}], nextCursor}``."""
        res = await self.request("thread/list", {"limit": limit, **({"cursor": cursor} if cursor else {})})
        data = []
        for t in res.get("data", []):
            read = await self.request("thread/read", {"threadId": t["id"], "includeTurns": True})
            count = sum(1 for turn in read["thread"].get("turns", []) for it in turn.get("items", [])
                        if it.get("type") in ("userMessage", "agentMessage"))
            data.append({"threadId": t["id"], "preview": t.get("preview", ""), "updatedAt": t.get("updatedAt"),
                         "messageCount": count})
        return {"data": data, "nextCursor": res.get("nextCursor")}

    async def list_loaded_threads(self) -> Any:
        return await self.request("thread/loaded/list", {})

    async def set_thread_name(self, name: str) -> Any:
        b = self._active()
        res = await self.request("thread/name/set", {"threadId": b.thread_id, "name": name})
        if b.replicator is not None:
            b.replicator.push([{"type": "threadMeta", "threadId": b.thread_id, "name": name, "at": now_ms()}])
        return res

    async def compact_thread(self) -> Any:
        return await self.request("thread/compact/start", {"threadId": self._active().thread_id})

    async def rollback_thread(self, num_turns: int = 1) -> Any:
        return await self.request("thread/rollback", {"threadId": self._active().thread_id, "numTurns": num_turns})

    async def archive_thread(self, thread_id: str | None = None) -> Any:
        return await self.request("thread/archive", {"threadId": thread_id or self._active().thread_id})

    async def unarchive_thread(self, thread_id: str) -> Any:
        return await self.request("thread/unarchive", {"threadId": thread_id})

    async def import_local_thread(self, thread_id: str, *, conversation_id: str | None = None,
                                  on_progress: Any = None) -> Any:
        """Import a local thread into Convex through a durable sync source (``importLocalThreadToPersistence``);
        returns an :class:`~codex_convex.sync.ImportResult` with the conversation id.

        :raises PersistenceDisabledError: in codex-only mode.
        """
        from ..sync import import_thread

        api = self._require_api()
        assert self._subscriber is not None
        return await import_thread(self.request, api, self._subscriber, thread_id, conversation_id=conversation_id,
                                   on_progress=on_progress)

    # Data lifecycle: deletion jobs run server-side; each call returns the job (watch it with watch_deletion).

    async def delete_thread(self, thread_id: str, *, grace_s: float = 0.0) -> Any:
        api = self._require_api()
        if grace_s:
            return await api.schedule_delete_thread(thread_id=thread_id, delay_ms=grace_s * 1000)
        return await api.delete_thread(thread_id=thread_id)

    async def delete_turn(self, thread_id: str, turn_id: str, *, grace_s: float = 0.0) -> Any:
        api = self._require_api()
        if grace_s:
            return await api.schedule_delete_turn(thread_id=thread_id, turn_id=turn_id, delay_ms=grace_s * 1000)
        return await api.delete_turn(thread_id=thread_id, turn_id=turn_id)

    async def purge_actor_data(self, *, grace_s: float = 0.0) -> Any:
        api = self._require_api()
        if grace_s:
            return await api.schedule_purge_actor_data(delay_ms=grace_s * 1000)
        return await api.purge_actor_data()

    async def cancel_deletion(self, job_id: str) -> Any:
        return await self._require_api().cancel_deletion(job_id=job_id)

    async def force_run_deletion(self, job_id: str) -> Any:
        return await self._require_api().force_run_deletion(job_id=job_id)

    async def get_deletion_status(self, job_id: str) -> Any:
        return await self._require_api().get_deletion_status(job_id=job_id)

    def watch_deletion(self, job_id: str) -> AsyncIterator[dict[str, Any]]:
        self._require_api()
        assert self._subscriber is not None
        return watch_deletion(self._subscriber, job_id)

    # Conversation-level API (Convex-owned identity).

    async def new_conversation(self, **thread_params: Any) -> str:
        return await self.open_thread("start", **thread_params)

    async def _thread_of(self, conversation_id: str) -> str:
        """The thread bound to a conversation. :raises CodexConvexError: ``E_CONVERSATION_NOT_FOUND``."""
        got = await self._require_api().get_conversation(conversation_id=conversation_id)
        if not got["found"] or not got["conversation"]["threadId"]:
            raise CodexConvexError("no such conversation, or it has no thread", code="E_CONVERSATION_NOT_FOUND")
        return str(got["conversation"]["threadId"])

    async def resume_conversation(self, conversation_id: str) -> str:
        return await self.open_thread("resume", thread_id=await self._thread_of(conversation_id),
                                      persisted_conversation_id=conversation_id)

    async def fork_conversation(self, conversation_id: str) -> str:
        return await self.open_thread("fork", thread_id=await self._thread_of(conversation_id))

    async def list_conversations(self, *, include_archived: bool = False, cursor: str | None = None,
                                 num_items: int = 25) -> Any:
        return await self._require_api().list_conversations(
            include_archived=include_archived, pagination_opts={"numItems": num_items, "cursor": cursor})

    async def archive_conversation(self, conversation_id: str) -> Any:
        return await self._require_api().archive_conversation(conversation_id=conversation_id)

    async def unarchive_conversation(self, conversation_id: str) -> Any:
        return await self._require_api().unarchive_conversation(conversation_id=conversation_id)

    async def get_conversation_summary(self, conversation_id: str | None = None) -> Any:
        cid = conversation_id or self._active().conversation_id
        if cid is None:
            raise PersistenceDisabledError("codex-only mode has no conversations")
        return await self._require_api().get_conversation_summary(conversation_id=cid)


class _Started:
    """A minimal task_status that sets an event (for tasks started with start_soon)."""

    def __init__(self, event: anyio.Event) -> None:
        self._event = event

    def started(self, value: object = None) -> None:
        self._event.set()
