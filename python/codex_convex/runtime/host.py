"""The public face of the host runtime: :class:`CodexHost` drives one Codex app-server and (in ``codex+replica``
mode) mirrors everything into Convex.

It composes the parts that do the work, each in its own module and unit-tested on its own:
``process`` (supervising the app-server), ``bindings`` (the bound thread and its replication), ``turns`` (open
turns and how they ended), ``approvals`` (server requests). Codex's results come back as the pinned protocol's
models (``protocol.v2``), Convex's as the contract's (``host_api.models``); a thread read whole stays Codex's own
JSON (``read_thread``), so it can be compared with what Convex holds.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import anyio
import structlog
from anyio.abc import TaskGroup
from pydantic import JsonValue

from ..codex import Notification, ServerRequest
from ..convex_api import ConvexHttp, Subscriber, TokenProvider
from ..errors import CodexConvexError, CodexError, JsonRpcError, PersistenceDisabledError, TurnTimeoutError
from ..events import error_notice, goal_event, message_view, thread_json, thread_meta, turn_completed, turn_json
from ..host_api import HostApi, Page
from ..host_api.models import (
    Conversation,
    DeletionJob,
    GetConversationSummaryFound,
    IngestEvent,
    NotFound,
    PaginationOpts,
    Turn,
)
from ..host_api.reads import all_pages
from ..protocol import host_models as codex
from ..protocol.notifications import Decoded, OffProtocolError, decode, is_nested_turn
from ..replication.events import now_ms
from ..sync import ImportResult, import_thread
from ..sync.importer import Progress
from ..sync.records import TERMINAL, turn_records
from .agents import SubAgents
from .approvals import answer_locally, answer_via_convex
from .bindings import Binding, Bindings
from .client_messages import Taken, watch_client_messages
from .config import HostConfig, HostMode, JsonObject, ServerRequestInfo
from .deletion import watch_deletion
from .interrupts import watch_interrupts
from .lifecycle import HostPhase, Lifecycle, LifecycleState
from .presence import Presence
from .process import AppServerOpener, CodexProcess, HostNotRunningError, real_app_server
from .turns import TurnResult, TurnTracker
from .warm import build_first_turn_models
from .watch import ConversationSnapshot, Optimistic, watch_conversation

__all__ = ["CodexHost", "HostNotRunningError", "NoThreadError", "ThreadInfo", "ThreadListing", "TurnResult"]

log = structlog.get_logger("codex_convex.host")
# How long a turn's live end waits for its settled record (thread/turns/list, thread/read: a few ms) to share a write.
SETTLE_HOLD_S = 0.25


class NoThreadError(CodexConvexError):
    code = "E_HOST_NO_THREAD"


@dataclass(frozen=True)
class ThreadInfo:
    thread_id: str
    preview: str
    updated_at: int
    message_count: int  # user and agent messages


@dataclass(frozen=True)
class ThreadListing:
    data: list[ThreadInfo]
    next_cursor: str | None


class CodexHost:
    """Drive Codex and (in ``codex+replica`` mode) mirror everything into Convex. Use ``async with``."""

    def __init__(self, config: HostConfig, *, app_server: AppServerOpener = real_app_server) -> None:
        self.config = config
        self.lifecycle = Lifecycle()
        self.api: HostApi | None = None
        self._http: ConvexHttp | None = None
        self._subscriber: Subscriber | None = None
        self.presence: Presence | None = None
        if config.mode is HostMode.REPLICA:
            if not config.convex_url:
                raise CodexConvexError("codex+replica mode needs convex_url", code="E_HOST_CONFIG")
            tokens = TokenProvider(config.token)  # one provider: HTTP calls and subscriptions renew together
            self._http = ConvexHttp(config.convex_url, token=tokens)
            self.api = HostApi(self._http)
            self._subscriber = Subscriber(config.convex_url, token=tokens, http=self._http)
            self.presence = Presence(self.api, heartbeat_s=config.heartbeat_s, timeout_s=config.host_timeout_s,
                                     label=config.host_label, on_revived=self._revived)
        self.process = CodexProcess(config, self.lifecycle, on_notification=self._on_notification,
                                    on_server_request=self._on_server_request, on_exit=self._fail_open_turns,
                                    opener=app_server)
        self.bindings = Bindings(self.api, self.lifecycle, config.coalescing)
        self.turns = TurnTracker(self.lifecycle)
        self._optimistic = Optimistic()
        self._tg: TaskGroup | None = None
        self._settling: set[anyio.Event] = set()  # settles running off the notification path (stop waits for them)
        self._client_turn: anyio.Event | None = None  # set when the turn a client's message started has ended
        # Starting a turn, one at a time (a client's message, the host's own send or review): Codex merges a turn/start
        # made while a turn runs into that turn, so who waits for which turn is decided under this lock.
        self._turn_start = anyio.Lock()
        self._awaited: set[str] = set()  # turns a caller (send, review, a client's message) waits for
        self.agents = SubAgents(self.bindings, lambda thread_id: self.request(
            "thread/read", {"threadId": thread_id, "includeTurns": False}))

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
            async with anyio.create_task_group() as starting:  # the first turn's validators, built while Codex starts
                starting.start_soon(anyio.to_thread.run_sync, build_first_turn_models)
                if self.presence is not None:
                    self.bindings.host_session_id = (await self.presence.open()).session_id
                    await self._tg.start(self.presence.run)
                await self.start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.stop()
            if self.presence is not None:
                await self.presence.close()
        finally:
            assert self._tg is not None
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            if self._subscriber is not None:
                await self._subscriber.aclose()  # the waits of watches left open end before the client goes
            if self._http is not None:
                await self._http.aclose()

    async def start(self) -> None:
        """Spawn and initialize Codex (again, after a stop or an error); check the deployment's wiring first."""
        assert self._tg is not None, "use `async with CodexHost(...)`"
        if self.api is not None:
            await self.api.validate_host_wiring()
        await self.process.start(self._tg)

    async def stop(self) -> None:
        """Flush replication and close Codex."""
        if self.lifecycle.state().phase in (HostPhase.IDLE, HostPhase.STOPPED):
            return
        with anyio.move_on_after(self.config.rpc_timeout_s):  # a turn that just ended is recorded before Codex goes
            for settled in list(self._settling):
                await settled.wait()
        self.lifecycle.set_phase(HostPhase.STOPPING)
        await self.bindings.unbind()
        await self.process.stop()
        self.lifecycle.set_phase(HostPhase.STOPPED)

    def kill_codex(self) -> None:
        """Kill the Codex process at once (fault tests)."""
        self.process.kill()

    async def request(self, method: str, params: JsonObject | None = None) -> JsonObject:
        """Any app-server request as Codex's JSON, with the configured deadline (a hung call turns into a
        lifecycle error). The typed methods below cover what a host needs; this is for the rest."""
        return cast(JsonObject, await self.process.request(method, params))

    # ----- what Codex tells us -------------------------------------------------------------------------------

    async def _on_notification(self, n: Notification) -> None:
        """Each notification, in order, decoded once: turn tracking, then replication."""
        if self.config.on_notification is not None:
            self.config.on_notification(n.method, n.params)
        b = self.bindings.current
        try:
            decoded = decode(n.method, n.params)
        except OffProtocolError as exc:
            # A shape the pinned protocol does not allow: recorded in the conversation, never dropped silently.
            log.error("host.notification_off_protocol", method=n.method, error=str(exc))
            if b is not None:
                b.push([error_notice(b.thread_id, None, {"message": str(exc)}, False, now_ms())])
            return
        if decoded is None:
            return
        thread_id = getattr(decoded.value, "thread_id", None)
        if b is not None and thread_id is not None and thread_id != b.thread_id:
            await self._on_agent_notification(thread_id, decoded)
            return
        self.turns.observe(decoded)
        if b is not None:
            b.push(b.mapper.map(decoded))
            match decoded.value:
                case codex.TurnCompletedNotification(turn=turn) if is_nested_turn(turn) and self._tg is not None:
                    # a turn Codex started on its own (a goal's continuation): no caller waits to settle it
                    self._tg.start_soon(self._settle_in_background, b, turn.id)
        self.agents.note(decoded)

    async def _on_agent_notification(self, thread_id: str, decoded: Decoded) -> None:
        """A notification of another thread than the bound one: a sub-agent's is replicated into its own
        conversation (its turn's end settled from Codex's record, as the bound thread's); any other thread's is
        not this host's to replicate."""
        self.agents.note(decoded)  # a sub-agent's own sub-agents
        agent = await self.agents.binding(thread_id, self._tg) if self._tg is not None else None
        if agent is None:
            return
        agent.push(agent.mapper.map(decoded))
        if isinstance(decoded.value, codex.TurnCompletedNotification) and self._tg is not None:
            self._tg.start_soon(self._settle_in_background, agent, decoded.value.turn.id)

    async def _watch_conversation(self, scope: anyio.CancelScope, conversation_id: str) -> None:
        """While the conversation is bound: a client's request to stop or resume (runtime.interrupts), a client's
        message (runtime.client_messages)."""
        assert self.api is not None and self._subscriber is not None
        api, subscriber = self.api, self._subscriber

        async def watch(name: str, watcher: Callable[[], Awaitable[None]]) -> None:
            try:
                await watcher()
            except CodexConvexError as exc:  # Convex unreachable for good, or the user's token gone: logged
                log.warning(f"host.{name}_watch_ended", conversation_id=conversation_id, error=str(exc))

        with scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(watch, "interrupt", lambda: watch_interrupts(
                    api, subscriber, conversation_id, self._stop_for_a_client, self._resume_for_a_client,
                    self._set_goal_for_a_client))
                tg.start_soon(watch, "client_message", lambda: watch_client_messages(
                    api, subscriber, conversation_id, self._take_client_message, self.bindings.host_session_id))

    async def _take_client_message(self, text: str, plan: bool = False) -> Taken:
        """A client's message steers the running turn (in its mode), or starts one when Codex is idle, in plan mode
        when the sender asked for it (left to run: the turn's end is recorded as for :meth:`send`, off the watch, so
        the next message can steer it).

        :raises CodexConvexError: ``E_HOST_PLAN_NEEDS_EXPERIMENTAL_API`` for plan mode without the experimental API
            (the message is then marked failed, saying so).
        """
        self._refuse_plan_without_experimental_api(plan)
        b = self._active()
        async with self._turn_start:
            running = self.lifecycle.state().turn_id
            if running is not None:
                try:
                    await self.steer(text, expected_turn_id=running)
                    return "steered", running
                except JsonRpcError:
                    if await self._turn_running():  # refused for another reason than the turn having just ended
                        raise
            await self._refuse_while_syncing(b)
            params: JsonObject = {"threadId": b.thread_id, "input": [{"type": "text", "text": text}],
                                  "approvalPolicy": self.config.approval_policy, **self._collaboration(b, plan, {})}
            turn_id = (await self.process.call("turn/start", params, codex.TurnStartResponse)).turn.id
            if turn_id in self._awaited:  # a turn had started meanwhile (not yet heard of): Codex added the text to it
                return "steered", turn_id
            self._awaited.add(turn_id)
            if self.api is not None and b.conversation_id is not None:
                self._optimistic.add(b.conversation_id, text, now_ms())
            assert self._tg is not None
            self._client_turn = anyio.Event()
            self._tg.start_soon(self._finish_client_turn, b, turn_id, self._client_turn)
        return "started", turn_id

    async def _finish_client_turn(self, b: Binding, turn_id: str, ended: anyio.Event) -> None:
        try:
            result = await self._finish_turn(b, turn_id)
            log.info("host.client_turn_ended", turn_id=turn_id, status=result.status)
        except CodexConvexError as exc:  # its end is replicated from the notification already; logged
            log.warning("host.client_turn_unsettled", turn_id=turn_id, error=str(exc))
        finally:
            ended.set()
            if self._client_turn is ended:
                self._client_turn = None

    async def _stop_for_a_client(self) -> Literal["interrupted", "idle"]:
        """Pause an active goal (so Codex does not go on by itself), then interrupt the running turn."""
        goal = await self.get_goal()
        paused = goal is not None and goal.status == codex.ThreadGoalStatus.active
        if paused:
            await self.set_goal(status="paused")
        turn_id = self.lifecycle.state().turn_id
        for attempt in range(3):
            if turn_id is None:
                break
            try:
                await self.interrupt_conversation(turn_id)
                return "interrupted"
            except JsonRpcError:
                # the turn ended between our look and the interrupt (a goal's continuation ends when the goal is
                # paused): nothing runs any more, which is what the client asked for. When Codex already runs the
                # next one (it started before the pause took), that one is interrupted once its start reaches us.
                if not await self._turn_running():
                    break
                if attempt == 2:
                    raise
                with anyio.move_on_after(1.0):
                    async for state in self.subscribe_lifecycle():
                        if state.turn_id not in (turn_id, None):
                            break
                turn_id = self.lifecycle.state().turn_id
        return "interrupted" if paused else "idle"

    async def _resume_for_a_client(self) -> Literal["resumed", "noGoal"]:
        """Set the thread's goal active again (Codex then goes on by itself), whatever stopped it."""
        goal = await self.get_goal()
        if goal is None:
            return "noGoal"
        if goal.status != codex.ThreadGoalStatus.active:
            await self.set_goal(status="active")
        return "resumed"

    async def _set_goal_for_a_client(self, objective: str) -> Literal["goalSet"]:
        """Give the thread this goal, active (it replaces the thread's goal): Codex then works toward it on its own.

        :raises JsonRpcError: Codex refused it (e.g. an objective over its own limit): the request is marked failed.
        """
        await self.set_goal(objective, status="active")
        return "goalSet"

    async def _turn_running(self) -> bool:
        """Whether Codex itself says a turn of the bound thread runs now (its status, not our last notification)."""
        read = await self.process.call("thread/read", {"threadId": self._active().thread_id, "includeTurns": False},
                                       codex.ThreadReadResponse)
        return isinstance(read.thread.status.root, codex.ActiveThreadStatus)

    async def _settle_in_background(self, b: Binding, turn_id: str) -> None:
        """A turn no caller waits for ended (a sub-agent's, a goal's continuation): settled as the others are, off
        the notification path; a failure is logged (its end, from the notification, is replicated already), never
        taken out on the host."""
        settled = anyio.Event()
        self._settling.add(settled)
        try:
            await self._settle_turn(b, turn_id)
        except CodexConvexError as exc:
            log.warning("host.turn_unsettled", thread_id=b.thread_id, turn_id=turn_id, error=str(exc))
        finally:
            settled.set()
            self._settling.discard(settled)

    async def _on_server_request(self, req: ServerRequest) -> JsonObject:
        params = req.params
        requester = str(params.get("threadId", ""))
        b = self.bindings.current
        if b is not None and requester and requester != b.thread_id:
            # a sub-agent's request: persisted in its conversation
            b = await self.agents.binding(requester, self._tg, overtaking=True) if self._tg is not None else None
        item_id = params.get("itemId")
        info = ServerRequestInfo(str(req.id), req.method, requester,
                                 str(params.get("turnId", "")), str(item_id) if item_id else None, params,
                                 b.conversation_id if b else None)
        if b is None or b.replicator is None or self.api is None or self._subscriber is None:
            return await answer_locally(info, self.config.on_server_request)
        b.push([b.mapper.server_request(info.request_id, req.method, params)])
        await b.flush()
        return await answer_via_convex(info, self.config.on_server_request, self.api, self._subscriber)

    async def reconcile(self) -> int:
        """Make the bound conversation agree with Codex's own ``thread/read`` (the truth): every finished turn whose
        state in Convex differs (e.g. a turn the sweep ended ``interrupted`` after this host was lost, which Codex
        completed) is sent again whole — its items as Codex keeps them, then its end. Its sub-agents' conversations
        likewise (each bound again). Returns the turns corrected.
        """
        b = self._active()
        api = self._require_api()
        fixed = await self._reconcile_thread(b, api)
        if b.conversation_id is not None and self._tg is not None:
            for conv in await api.list_conversation_agents(conversation_id=b.conversation_id):
                agent = await self.agents.binding(conv.thread_id, self._tg) if conv.thread_id else None
                if agent is not None:
                    fixed += await self._reconcile_thread(agent, api)
        return fixed

    async def _reconcile_thread(self, b: Binding, api: HostApi) -> int:
        stored: dict[str, Turn] = {}
        turns = all_pages(lambda cursor: api.list_turns(thread_id=b.thread_id,
                                                        pagination_opts=PaginationOpts(num_items=100, cursor=cursor)))
        async for t in turns:
            stored[t.turn_id] = t
        thread = cast(dict[str, Any], (await self.read_thread(b.thread_id))["thread"])
        fixed = 0
        for turn in thread.get("turns") or []:
            status = turn.get("status")
            mine = stored.get(turn["id"])
            lost = mine is not None and mine.error is not None and mine.error.message.startswith("E_HOST_LOST")
            if status not in ("completed", "interrupted", "failed") or (mine is not None and mine.status == status
                                                                       and not lost):
                continue
            # the turn whole, as Codex has it: items it never kept (a command a dead host had started) go
            b.push(list(turn_records(b.thread_id, turn, exact=True)))
            fixed += 1
        await b.flush()
        if fixed:
            log.info("host.reconciled", thread_id=b.thread_id, turns=fixed)
        return fixed

    async def _revived(self) -> None:
        """The deployment had declared this host lost (it was paused past its timeout): correct what the sweep
        ended from what Codex knows."""
        if self.bindings.current is not None and self.lifecycle.state().phase is HostPhase.RUNNING:
            with contextlib.suppress(CodexConvexError):
                await self.reconcile()

    async def _fail_open_turns(self, reason: str) -> None:
        """Codex went away: its open turns end as failed, in Convex too."""
        b = self.bindings.current
        for turn_id in self.turns.open_turns():
            if b is not None:
                b.push([b.mapper.turn_failed(turn_id, reason)])
                with contextlib.suppress(CodexConvexError, TimeoutError):
                    await b.flush(timeout_s=10)
            self.turns.fail(turn_id, reason)

    # ----- threads -------------------------------------------------------------------------------------------

    def _require_api(self) -> HostApi:
        if self.api is None:
            raise PersistenceDisabledError("this host runs in codex-only mode: nothing is persisted to Convex")
        return self.api

    def _active(self) -> Binding:
        if self.bindings.current is None:
            raise NoThreadError("open a thread first (open_thread / new_conversation)")
        return self.bindings.current

    @property
    def thread_id(self) -> str | None:
        return self.bindings.current.thread_id if self.bindings.current else None

    @property
    def conversation_id(self) -> str | None:
        return self.bindings.current.conversation_id if self.bindings.current else None

    async def open_thread(self, strategy: str = "start", *, thread_id: str | None = None,
                          conversation_id: str | None = None, persisted_conversation_id: str | None = None,
                          **params: JsonValue) -> str:
        """Open a thread: ``start`` a new one, ``resume`` or ``fork`` an existing one (by ``thread_id``).

        In replica mode the thread is bound to a conversation (``persisted_conversation_id`` pins one) and returned
        as the conversation id; in codex-only mode the thread id is returned.

        :raises CodexConvexError: ``E_HOST_BAD_THREAD_ID`` for an empty id on resume/fork.
        """
        if strategy not in ("start", "resume", "fork"):
            raise CodexConvexError(f"unknown strategy {strategy!r}", code="E_HOST_BAD_STRATEGY")
        pinned = persisted_conversation_id or (conversation_id if strategy == "resume" else None)
        return await self._open(strategy, thread_id, pinned, params)

    async def _open(self, strategy: str, thread_id: str | None, pinned: str | None, params: JsonObject) -> str:
        opened: codex.ThreadStartResponse | codex.ThreadResumeResponse | codex.ThreadForkResponse
        if strategy == "start":
            opened = await self.process.call("thread/start", {"cwd": str(self.config.cwd), **params},
                                             codex.ThreadStartResponse)
        else:
            if thread_id is None or not thread_id.strip():
                raise CodexConvexError(f"{strategy} needs a non-empty thread id", code="E_HOST_BAD_THREAD_ID")
            which: JsonObject = {"threadId": thread_id.strip(), **params}
            opened = (await self.process.call("thread/resume", which, codex.ThreadResumeResponse)
                      if strategy == "resume" else
                      await self.process.call("thread/fork", which, codex.ThreadForkResponse))
        thread = opened.thread
        assert self._tg is not None
        b = await self.bindings.bind(thread.id, pinned, self._tg)
        b.model = opened.model
        b.effort = None if opened.reasoning_effort is None else str(opened.reasoning_effort.root)
        if self.api is not None and self._subscriber is not None and b.conversation_id is not None:
            b.watches = anyio.CancelScope()
            self._tg.start_soon(self._watch_conversation, b.watches, b.conversation_id)
        b.push([b.mapper.thread_opened(thread)])
        await self._push_thread_json(b)
        if self.api is not None and strategy == "resume" and not b.created_conversation:
            await self.reconcile()  # a host that died (or was declared lost) left the conversation behind Codex
        if self.api is not None and (strategy == "fork" or (strategy == "resume" and b.created_conversation)):
            # The thread already has history Convex has not seen (a fork carries its parent's turns; a resumed
            # thread may come from codex-only use): import it, so the conversation equals the thread.
            result = await self.import_local_thread(thread.id, conversation_id=b.conversation_id)
            if result.state != "synced":
                raise CodexConvexError(f"importing the history of {strategy}ed thread {thread.id} ended "
                                       f"{result.state}: {result.error}", code="E_HOST_HISTORY_IMPORT_FAILED")
        return b.conversation_id or b.thread_id

    async def resume_thread(self, thread_id: str, *, persisted_conversation_id: str | None = None,
                            **params: JsonValue) -> str:
        return await self._open("resume", thread_id, persisted_conversation_id, params)

    async def fork_thread(self, thread_id: str, **params: JsonValue) -> str:
        return await self._open("fork", thread_id, None, params)

    async def _ensure_running(self) -> None:
        if self.lifecycle.state().phase is HostPhase.RUNNING:
            return
        if not self.config.lifecycle_safe_send:
            raise HostNotRunningError(
                f"Codex is {self.lifecycle.state().phase}: start() it, or opt in with lifecycle_safe_send=True")
        b = self.bindings.current
        await self.start()
        if b is not None:
            try:
                await self.open_thread("resume", thread_id=b.thread_id, persisted_conversation_id=b.conversation_id)
            except CodexError as exc:
                raise CodexConvexError(f"Codex restarted but could not resume thread {b.thread_id}: {exc}",
                                       code="E_HOST_RESUME_FAILED") from exc

    async def send(self, text: str, *, images: Sequence[Path | str] = (), plan: bool = False,
                   **turn_params: JsonValue) -> TurnResult:
        """Run one turn and wait for it; its final state is persisted before this returns. ``images``: local image
        files sent with the text (Codex's ``localImage`` input, by absolute path; the stored user message shows each
        as an ``[image: <path>]`` line). ``plan``: the turn in Codex's plan mode (it explores without changing
        anything and proposes a plan, streamed live as a message of its own, the turn's ``plan`` item); the next
        turn without it is in the default mode again. Plan mode needs ``HostConfig(experimental_api=True)``.

        :raises CodexConvexError: ``E_HOST_SYNC_IN_PROGRESS`` while an import of this conversation is syncing;
            ``E_HOST_PLAN_NEEDS_EXPERIMENTAL_API`` for ``plan`` without the experimental API.
        """
        self._refuse_plan_without_experimental_api(plan)
        await self._ensure_running()
        b = self._active()
        await self._refuse_while_syncing(b)
        paths = [str(await anyio.Path(p).resolve()) for p in images]
        missing = [p for p in paths if not await anyio.Path(p).is_file()]
        if missing:
            raise CodexConvexError(f"not an image file: {', '.join(missing)}", code="E_HOST_BAD_IMAGE",
                                   data={"paths": missing})
        inputs: list[JsonValue] = [{"type": "text", "text": text}]
        inputs += [{"type": "localImage", "path": p} for p in paths]
        if self.api is not None and b.conversation_id is not None:
            # shown as the stored message will read: the same reading of the user's input as the server's
            shown = message_view({"type": "userMessage", "content": inputs}, "completed")
            self._optimistic.add(b.conversation_id, shown["text"] if shown else text, now_ms())
        params: JsonObject = {"threadId": b.thread_id, "input": inputs, "approvalPolicy": self.config.approval_policy,
                              **self._collaboration(b, plan, turn_params), **turn_params}
        return await self._finish_turn(b, await self._start_turn("turn/start", params))

    def _refuse_plan_without_experimental_api(self, plan: bool) -> None:
        """Plan mode asked of a host that did not opt in to Codex's experimental API: refused before anything runs."""
        if plan and not self.config.experimental_api:
            raise CodexConvexError("plan mode needs Codex's experimental API, which this host did not opt in to: "
                                   "HostConfig(experimental_api=True) (codex-convex run and run --serve have it)",
                                   code="E_HOST_PLAN_NEEDS_EXPERIMENTAL_API")

    def _collaboration(self, b: Binding, plan: bool, turn_params: JsonObject) -> JsonObject:
        """A turn's collaboration mode, named on every turn once the experimental API is on (Codex keeps a thread's
        mode from turn to turn, so a turn after a plan turn would plan again): plan mode, or the default, with the
        thread's model and reasoning effort. A turn's own ``model`` or ``effort`` stays the thread's after it, as
        Codex keeps them, so the next turn's mode names it too."""
        if isinstance(turn_params.get("model"), str):
            b.model = str(turn_params["model"])
        if isinstance(turn_params.get("effort"), str):
            b.effort = str(turn_params["effort"])
        if not self.config.experimental_api or "collaborationMode" in turn_params:
            return {}
        settings: JsonObject = {"model": b.model}
        if b.effort is not None:
            settings["reasoning_effort"] = b.effort
        return {"collaborationMode": {"mode": "plan" if plan else "default", "settings": settings}}

    async def review(self, *, base_branch: str | None = None, commit: str | None = None,
                     instructions: str | None = None) -> TurnResult:
        """Codex's /review as a turn of the conversation, waited for like :meth:`send`: the uncommitted changes
        (staged, unstaged and untracked) by default, or the changes against ``base_branch``, or one ``commit``,
        or custom ``instructions``. The conversation shows a system message naming what is reviewed, whatever the
        reviewer ran, "review ended", then the review as an assistant message (the result's ``text``).

        :raises CodexConvexError: ``E_HOST_BAD_REVIEW_TARGET`` for more than one of the three, or an empty one;
            ``E_HOST_SYNC_IN_PROGRESS`` as :meth:`send`.
        """
        given = {k: v for k, v in (("base_branch", base_branch), ("commit", commit), ("instructions", instructions))
                 if v is not None}
        if len(given) > 1 or any(not v.strip() for v in given.values()):
            raise CodexConvexError("give at most one of base_branch, commit and instructions, and not an empty one",
                                   code="E_HOST_BAD_REVIEW_TARGET", data={"given": sorted(given)})
        target: JsonObject = (
            {"type": "baseBranch", "branch": base_branch} if base_branch is not None
            else {"type": "commit", "sha": commit} if commit is not None
            else {"type": "custom", "instructions": instructions} if instructions is not None
            else {"type": "uncommittedChanges"})
        await self._ensure_running()
        b = self._active()
        await self._refuse_while_syncing(b)
        turn_id = await self._start_turn("review/start", {"threadId": b.thread_id, "target": target,
                                                           "delivery": "inline"})
        return await self._finish_turn(b, turn_id)

    async def _start_turn(self, method: Literal["turn/start", "review/start"], params: JsonObject) -> str:
        """Start a turn this host's caller waits for, once a turn a client's message started has ended (Codex would
        merge the two), under the turn-start lock (so a client's message arriving meanwhile steers this one)."""
        while True:
            if self._client_turn is not None:
                await self._client_turn.wait()
                continue
            async with self._turn_start:
                if self._client_turn is not None:
                    continue
                if method == "review/start":
                    turn_id = (await self.process.call(method, params, codex.ReviewStartResponse)).turn.id
                else:
                    turn_id = (await self.process.call(method, params, codex.TurnStartResponse)).turn.id
                self._awaited.add(turn_id)
                return turn_id

    async def _finish_turn(self, b: Binding, turn_id: str) -> TurnResult:
        """Wait for a turn this host started (registered as awaited when it started), record it as Codex keeps it,
        and say how it ended."""
        try:
            try:
                with anyio.fail_after(self.config.turn_timeout_s):
                    await self.turns.expect(turn_id).wait()
            except TimeoutError as exc:
                raise TurnTimeoutError(f"turn {turn_id} did not finish within {self.config.turn_timeout_s:g} s",
                                       data={"turnId": turn_id}) from exc
            await self._settle_turn(b, turn_id)
            await b.flush()
        finally:
            self._awaited.discard(turn_id)
        turn, last_text = self.turns.take(turn_id)
        status = turn.status.value if turn is not None and turn.status is not None else "failed"
        return TurnResult(turn_id, status, turn.error if turn else None, last_text, b.conversation_id, b.thread_id)

    async def _refuse_while_syncing(self, b: Binding) -> None:
        if self.api is not None and b.conversation_id is not None:
            got = await self.api.get_conversation(conversation_id=b.conversation_id)
            if not isinstance(got, NotFound) and got.conversation.sync_state == "syncing":
                raise CodexConvexError("an import of this conversation is still syncing: wait for it to finish",
                                       code="E_HOST_SYNC_IN_PROGRESS")

    async def steer(self, text: str, *, expected_turn_id: str) -> codex.TurnSteerResponse:
        b = self._active()
        return await self.process.call("turn/steer", {"threadId": b.thread_id, "expectedTurnId": expected_turn_id,
                                                      "input": [{"type": "text", "text": text}]},
                                       codex.TurnSteerResponse)

    async def interrupt_conversation(self, turn_id: str | None = None) -> None:
        b = self._active()
        which = turn_id or self.lifecycle.state().turn_id
        if which is None:
            return
        await self.process.call("turn/interrupt", {"threadId": b.thread_id, "turnId": which},
                                codex.TurnInterruptResponse)

    async def read_thread(self, thread_id: str | None = None, include_turns: bool = True) -> JsonObject:
        """``thread/read`` as Codex's own JSON (``{"thread": …}``), items exactly as Codex keeps them."""
        return await self.request("thread/read", {"threadId": thread_id or self._active().thread_id,
                                                  "includeTurns": include_turns})

    async def thread_ids(self, *, archived: bool = False) -> list[str]:
        """Every thread of this ``CODEX_HOME`` (the archived ones instead, with ``archived=True``), whatever started
        it: ``codex exec`` runs and sub-agents too (``thread/list`` alone gives interactive ones only)."""
        ids: list[str] = []
        cursor: str | None = None
        every_source: list[JsonValue] = [k.value for k in codex.ThreadSourceKind]
        while True:
            params: JsonObject = {"limit": 100, "archived": archived, "sourceKinds": every_source,
                                  **({"cursor": cursor} if cursor else {})}
            page = await self.process.call("thread/list", params, codex.ThreadListResponse)
            ids += [t.id for t in page.data]
            cursor = page.next_cursor
            if not cursor or not page.data:
                return ids

    async def list_threads(self, *, limit: int = 25, cursor: str | None = None) -> ThreadListing:
        """A page of threads with how many messages each holds."""
        params: JsonObject = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await self.process.call("thread/list", params, codex.ThreadListResponse)
        data = []
        for t in page.data:
            read = await self.process.call("thread/read", {"threadId": t.id, "includeTurns": True},
                                           codex.ThreadReadResponse)
            count = sum(1 for turn in read.thread.turns for it in turn.items
                        if isinstance(it.root, codex.UserMessageThreadItem | codex.AgentMessageThreadItem))
            data.append(ThreadInfo(t.id, t.preview, t.updated_at, count))
        return ThreadListing(data, page.next_cursor)

    async def list_loaded_threads(self) -> codex.ThreadLoadedListResponse:
        return await self.process.call("thread/loaded/list", {}, codex.ThreadLoadedListResponse)

    async def set_thread_name(self, name: str) -> codex.ThreadSetNameResponse:
        b = self._active()
        res = await self.process.call("thread/name/set", {"threadId": b.thread_id, "name": name},
                                      codex.ThreadSetNameResponse)
        b.push([thread_meta(b.thread_id, now_ms(), name=name)])
        await self._push_thread_json(b)
        return res

    async def _settle_turn(self, b: Binding, turn_id: str) -> None:
        """Replica mode, a turn just ended: record it as Codex keeps it (``thread/turns/list``): the turn's own JSON,
        which items Codex kept (others seen live stay, marked ``liveOnly``), and the thread's JSON as it stands."""
        if b.replicator is None or self.lifecycle.state().phase is not HostPhase.RUNNING:
            return  # Codex went away: the turn was ended as failed (_fail_open_turns), nothing more to read
        # a /review's reviewer ran as a turn of its own that only the review's end ends (replication.events)
        reviewer = b.mapper.reviewed.pop(turn_id, None)
        # the turn's live end waits for this record, so both go in one write (a turn's end costs one write, not two)
        release = b.replicator.hold(SETTLE_HOLD_S)
        events: list[IngestEvent] = []
        try:
            listed = await self.request("thread/turns/list", {"threadId": b.thread_id, "limit": 1 if reviewer is None
                                                              else 2, "itemsView": "full"})
            turns = cast(list[dict[str, Any]], listed.get("data") or [])
            for turn in sorted(turns, key=lambda t: t.get("id") != reviewer):  # the reviewer's first
                if turn.get("id") in (turn_id, reviewer) and turn.get("status") in TERMINAL:
                    # `at` stays in ms of this clock (Codex's completedAt is whole seconds: it could precede startedAt)
                    events.append(turn_completed(b.thread_id, turn["id"], turn["status"], turn.get("error"), now_ms(),
                                                 codex_items=[str(i.get("id", "")) for i in turn.get("items") or []],
                                                 json_text=turn_json(turn)))
            # the turn's end and the thread's JSON go in one write (the turn's end even if the read fails)
            read = await self.request("thread/read", {"threadId": b.thread_id, "includeTurns": False})
            events += thread_json(cast(dict[str, Any], read["thread"]), now_ms())
        finally:
            b.push(events)
            release()

    async def _push_thread_json(self, b: Binding) -> None:
        """Replica mode: Codex's own JSON of the thread as it stands now (its status, times, name, preview…), so
        the conversation rebuilds ``thread/read`` exactly (``host_api.reads.read_codex_thread``)."""
        if b.replicator is None or self.lifecycle.state().phase is not HostPhase.RUNNING:
            return
        read = await self.request("thread/read", {"threadId": b.thread_id, "includeTurns": False})
        b.push(list(thread_json(cast(dict[str, Any], read["thread"]), now_ms())))

    async def get_goal(self) -> codex.ThreadGoal | None:
        """The thread's goal (Codex's ``thread/goal/get``): ``None`` when it has none."""
        b = self._active()
        return (await self.process.call("thread/goal/get", {"threadId": b.thread_id},
                                        codex.ThreadGoalGetResponse)).goal

    async def set_goal(self, objective: str | None = None, *, status: str | None = None,
                       token_budget: int | None = None) -> codex.ThreadGoal:
        """Set the thread's goal (Codex's ``thread/goal/set``): a new ``objective`` (Codex then works toward it on
        its own, turn after turn, until it is complete), or a ``status`` (``paused`` stops it; ``active`` resumes
        it), or a ``token_budget``. The conversation's ``goal`` follows (the view's, ``watch_conversation``'s)."""
        b = self._active()
        params: JsonObject = {"threadId": b.thread_id, "objective": objective, "status": status,
                              "tokenBudget": token_budget}
        raw = await self.request("thread/goal/set", {k: v for k, v in params.items() if v is not None})
        await self._record_goal(b, cast(JsonObject, raw["goal"]))
        return codex.ThreadGoalSetResponse.model_validate(raw).goal

    async def wait_for_goal(self) -> codex.ThreadGoal | None:
        """While the thread's goal is active Codex goes on by itself, turn after turn: wait until it stops (the goal
        complete, paused, blocked or out of budget, or cleared) and no turn runs; the goal as it then stands. Each
        turn may take ``turn_timeout_s``.

        :raises TurnTimeoutError: no turn ended within ``turn_timeout_s`` while the goal was still active.
        """
        while True:
            ended = self.turns.ended_count
            goal = await self.get_goal()
            going = goal is not None and goal.status == codex.ThreadGoalStatus.active
            if not going and self.lifecycle.state().turn_id is None:
                await self._flush_bound()
                return goal
            try:
                with anyio.fail_after(self.config.turn_timeout_s):
                    await self.turns.wait_ended(ended)
            except TimeoutError as exc:
                raise TurnTimeoutError(f"no turn of the goal ended within {self.config.turn_timeout_s:g} s",
                                       data={"goal": goal.objective if goal else None}) from exc

    async def clear_goal(self) -> bool:
        """Remove the thread's goal (Codex's ``thread/goal/clear``); whether there was one."""
        b = self._active()
        cleared = (await self.process.call("thread/goal/clear", {"threadId": b.thread_id},
                                           codex.ThreadGoalClearResponse)).cleared
        await self._record_goal(b, None)
        return cleared

    async def _flush_bound(self) -> None:
        """What Codex told about the bound thread so far is in Convex when this returns (replica mode)."""
        b = self.bindings.current
        if b is not None and b.replicator is not None:
            await b.flush()

    async def _record_goal(self, b: Binding, goal: JsonObject | None) -> None:
        """Replica mode: the goal as Codex answered, in Convex when this returns (its notification, which may come
        after the answer, then writes the same)."""
        if b.replicator is not None:
            b.push([goal_event(b.thread_id, goal, now_ms())])
            await b.flush()

    async def compact_thread(self, *, wait: bool = True) -> codex.ThreadCompactStartResponse:
        """Compact the thread's context (Codex runs it as a turn of its own); ``wait``: until that turn ended and
        is persisted, so the next ``send`` does not collide with it."""
        b = self._active()
        ended = self.turns.ended_count
        res = await self.process.call("thread/compact/start", {"threadId": b.thread_id},
                                      codex.ThreadCompactStartResponse)
        if wait:
            with anyio.fail_after(self.config.turn_timeout_s):
                await self.turns.wait_ended(ended)
            await self._settle_turn(b, self.turns.last_ended or "")
            await b.flush()
        return res

    async def rollback_thread(self, num_turns: int = 1) -> codex.ThreadRevertResponse:
        """Drop the last ``num_turns`` turns (Codex's ``thread/revert``); in replica mode they are deleted from
        Convex as well, so the conversation still equals the thread."""
        b = self._active()
        read = await self.process.call("thread/read", {"threadId": b.thread_id, "includeTurns": True},
                                       codex.ThreadReadResponse)
        turns = read.thread.turns
        if not 1 <= num_turns <= len(turns):
            raise CodexConvexError(f"the thread has {len(turns)} turns: cannot roll back {num_turns}",
                                   code="E_HOST_BAD_ROLLBACK")
        dropped = [t.id for t in turns[-num_turns:]]
        res = await self.process.call("thread/revert", {"threadId": b.thread_id, "beforeTurnId": dropped[0]},
                                      codex.ThreadRevertResponse)
        if self.api is not None:
            await b.flush()
            for turn_id in dropped:
                await self.api.delete_turn(thread_id=b.thread_id, turn_id=turn_id)
            await self._push_thread_json(b)
        return res

    async def archive_thread(self, thread_id: str | None = None) -> codex.ThreadArchiveResponse:
        """Archive a thread in Codex, and (replica mode) the conversation bound to it here in Convex too."""
        tid = thread_id or self._active().thread_id
        r = await self.process.call("thread/archive", {"threadId": tid}, codex.ThreadArchiveResponse)
        await self._mirror_to_convex(tid, archived=True)
        return r

    async def unarchive_thread(self, thread_id: str) -> codex.ThreadUnarchiveResponse:
        r = await self.process.call("thread/unarchive", {"threadId": thread_id}, codex.ThreadUnarchiveResponse)
        await self._mirror_to_convex(thread_id, archived=False)
        return r

    async def _mirror_to_convex(self, thread_id: str, *, archived: bool) -> None:
        b = self.bindings.current
        if self.api is None or b is None or b.thread_id != thread_id or b.conversation_id is None:
            return
        if archived:
            await self.api.archive_conversation(conversation_id=b.conversation_id)
        else:
            await self.api.unarchive_conversation(conversation_id=b.conversation_id)

    async def _mirror_to_codex(self, conversation: Conversation, *, archived: bool) -> None:
        """A conversation (un)archived in Convex: its thread likewise in this CODEX_HOME, when it is here."""
        if conversation.thread_id is None:
            return
        method = "thread/archive" if archived else "thread/unarchive"
        out = codex.ThreadArchiveResponse if archived else codex.ThreadUnarchiveResponse
        with contextlib.suppress(JsonRpcError, HostNotRunningError):  # a thread of another CODEX_HOME; Codex stopped
            await self.process.call(method, {"threadId": conversation.thread_id}, out)

    async def import_local_thread(self, thread_id: str, *, conversation_id: str | None = None,
                                  on_progress: Progress | None = None) -> ImportResult:
        """Import a local thread into Convex through a durable sync source (``importLocalThreadToPersistence``).

        :raises PersistenceDisabledError: in codex-only mode.
        """
        api = self._require_api()
        assert self._subscriber is not None
        return await import_thread(self.request, api, self._subscriber, thread_id, conversation_id=conversation_id,
                                   on_progress=on_progress)

    # ----- conversations (the Convex-owned identity) -----------------------------------------------------------

    def watch_conversation(self, conversation_id: str | None = None, *,
                           page_size: int = 50) -> AsyncIterator[ConversationSnapshot]:
        """Live snapshots of a conversation (messages, pending approvals, sync progress), with this host's sends
        shown at once as optimistic entries. :raises PersistenceDisabledError: in codex-only mode."""
        self._require_api()
        cid = conversation_id or self._active().conversation_id
        assert cid is not None and self._subscriber is not None
        return watch_conversation(self._subscriber, cid, page_size=page_size, optimistic=self._optimistic)

    async def new_conversation(self, **thread_params: JsonValue) -> str:
        return await self._open("start", None, None, thread_params)

    async def _thread_of(self, conversation_id: str) -> str:
        """The thread bound to a conversation. :raises CodexConvexError: ``E_CONVERSATION_NOT_FOUND``."""
        got = await self._require_api().get_conversation(conversation_id=conversation_id)
        if isinstance(got, NotFound) or not got.conversation.thread_id:
            raise CodexConvexError("no such conversation, or it has no thread", code="E_CONVERSATION_NOT_FOUND")
        return got.conversation.thread_id

    async def resume_conversation(self, conversation_id: str) -> str:
        return await self.open_thread("resume", thread_id=await self._thread_of(conversation_id),
                                      persisted_conversation_id=conversation_id)

    async def fork_conversation(self, conversation_id: str) -> str:
        return await self.open_thread("fork", thread_id=await self._thread_of(conversation_id))

    async def list_conversations(self, *, include_archived: bool = False, cursor: str | None = None,
                                 num_items: int = 25) -> Page[Conversation]:
        return await self._require_api().list_conversations(
            include_archived=include_archived, pagination_opts=PaginationOpts(num_items=num_items, cursor=cursor))

    async def archive_conversation(self, conversation_id: str) -> Conversation:
        """Archive a conversation in Convex, and its thread in Codex too when the thread is in this CODEX_HOME."""
        conv = await self._require_api().archive_conversation(conversation_id=conversation_id)
        await self._mirror_to_codex(conv, archived=True)
        return conv

    async def unarchive_conversation(self, conversation_id: str) -> Conversation:
        conv = await self._require_api().unarchive_conversation(conversation_id=conversation_id)
        await self._mirror_to_codex(conv, archived=False)
        return conv

    async def get_conversation_summary(self, conversation_id: str | None = None
                                       ) -> NotFound | GetConversationSummaryFound:
        cid = conversation_id or self._active().conversation_id
        if cid is None:
            raise PersistenceDisabledError("codex-only mode has no conversations")
        return await self._require_api().get_conversation_summary(conversation_id=cid)

    # ----- deletion: jobs run server-side; each call returns the job (follow it with watch_deletion) ----------

    async def delete_thread(self, thread_id: str, *, grace_s: float = 0.0) -> DeletionJob:
        api = self._require_api()
        if grace_s:
            return await api.schedule_delete_thread(thread_id=thread_id, delay_ms=grace_s * 1000)
        return await api.delete_thread(thread_id=thread_id)

    async def delete_turn(self, thread_id: str, turn_id: str, *, grace_s: float = 0.0) -> DeletionJob:
        api = self._require_api()
        if grace_s:
            return await api.schedule_delete_turn(thread_id=thread_id, turn_id=turn_id, delay_ms=grace_s * 1000)
        return await api.delete_turn(thread_id=thread_id, turn_id=turn_id)

    async def purge_actor_data(self, *, grace_s: float = 0.0) -> DeletionJob:
        api = self._require_api()
        if grace_s:
            return await api.schedule_purge_actor_data(delay_ms=grace_s * 1000)
        return await api.purge_actor_data()

    async def cancel_deletion(self, job_id: str) -> DeletionJob:
        return await self._require_api().cancel_deletion(job_id=job_id)

    async def force_run_deletion(self, job_id: str) -> DeletionJob:
        return await self._require_api().force_run_deletion(job_id=job_id)

    async def get_deletion_status(self, job_id: str) -> DeletionJob | None:
        got = await self._require_api().get_deletion_status(job_id=job_id)
        return None if isinstance(got, NotFound) else got.job

    def watch_deletion(self, job_id: str) -> AsyncIterator[DeletionJob]:
        self._require_api()
        assert self._subscriber is not None
        return watch_deletion(self._subscriber, job_id)
