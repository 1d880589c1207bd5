"""The host runtime: drive Codex, replicate it live into Convex, answer approvals, report lifecycle."""

from .config import Decision, HostConfig, HostMode, ServerRequestInfo
from .host import CodexHost, HostNotRunningError, NoThreadError, TurnResult
from .lifecycle import HostPhase, LifecycleSource, LifecycleState

__all__ = [
    "CodexHost",
    "Decision",
    "HostConfig",
    "HostMode",
    "HostNotRunningError",
    "HostPhase",
    "LifecycleSource",
    "LifecycleState",
    "NoThreadError",
    "ServerRequestInfo",
    "TurnResult",
]
