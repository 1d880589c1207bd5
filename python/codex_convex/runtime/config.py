"""How a host runs: mode, where Codex keeps its state, which deployment, and who answers approvals."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..codex.rpc import JsonObject
from ..convex_api.auth import TokenSource
from ..host_api.models import Decision
from ..replication import Coalescing

__all__ = ["Coalescing", "Decision", "HostConfig", "HostMode", "JsonObject", "NotificationListener",
           "ServerRequestHandler", "ServerRequestInfo"]



class HostMode(enum.StrEnum):
    # Codex only: nothing is written to Convex; persistence calls fail with E_PERSISTENCE_DISABLED.
    CODEX_ONLY = "codex-only"
    # Codex is authoritative and every event is replicated into Convex as it happens.
    REPLICA = "codex+replica"


@dataclass(frozen=True)
class ServerRequestInfo:
    """A request from Codex to the host: an approval (method ends in ``/requestApproval``) or another ask."""

    request_id: str
    method: str
    thread_id: str
    turn_id: str
    item_id: str | None
    params: JsonObject
    conversation_id: str | None

    @property
    def is_approval(self) -> bool:
        return self.method.endswith("/requestApproval")


# Return a Decision (approvals) or the JSON result Codex expects (other requests); None = no opinion, let a
# decision written to Convex by another client answer it.
ServerRequestHandler = Callable[[ServerRequestInfo], Awaitable[Decision | JsonObject | None]]
NotificationListener = Callable[[str, JsonObject], None]


@dataclass
class HostConfig:
    """:param codex_home: Codex's state folder (``CODEX_HOME``).
    :param cwd: the working folder of new threads.
    :param convex_url: the deployment (``codex+replica``).
    :param token: the user's JWT for it, or a token provider: a callable (sync or async) returning a fresh JWT. A
        provider is asked again before each token expires (and after a refused call), so tokens of any lifetime
        work for hours-long turns, imports and subscriptions.
    :param on_server_request: answers approvals in Python; without it (replica mode) the host waits for a decision
        written to Convex by another client, and (codex-only) declines. Nothing is accepted by default.
    :param lifecycle_safe_send: ``send`` restarts a stopped or failed Codex from this config and resumes the thread;
        without it, ``send`` on a stopped host fails with ``E_HOST_NOT_RUNNING``.
    :param heartbeat_s: (replica mode) how often the host's presence is written: one small write on its own row.
    :param host_timeout_s: silent this long, the host is lost: the component ends its open turns (``E_HOST_LOST``),
        closes its streams and expires its pending approvals.
    :param host_label: how readers see this host (default: the machine's name).
    :param coalescing: (replica mode) how live events gather into writes: deltas per write, the write cap per
        second (``Coalescing(max_delta_writes_per_s=4)`` is @convex-dev/agent's default: less than half the writes
        for ~140 ms of latency), the longest waits. The default writes a slow stream delta by delta.
    :param experimental_api: opt in to Codex's experimental API (``initialize``'s ``capabilities.experimentalApi``),
        which plan mode (``send(..., plan=True)``) needs; Codex may change that surface in any release.
    """

    codex_home: Path
    cwd: Path
    mode: HostMode = HostMode.REPLICA
    convex_url: str | None = None
    token: TokenSource | None = None
    approval_policy: str = "untrusted"
    on_server_request: ServerRequestHandler | None = None
    on_notification: NotificationListener | None = None
    lifecycle_safe_send: bool = False
    rpc_timeout_s: float = 60.0
    turn_timeout_s: float = 600.0
    env_extra: dict[str, str] = field(default_factory=dict)
    heartbeat_s: float = 20.0
    host_timeout_s: float = 90.0
    host_label: str | None = None
    coalescing: Coalescing = field(default_factory=Coalescing)
    experimental_api: bool = False
