"""The host runtime: drive Codex, replicate it live into Convex, answer approvals, report lifecycle."""

from .config import Decision, HostConfig, HostMode, ServerRequestInfo
from .deletion import watch_deletion
from .host import CodexHost, HostNotRunningError, NoThreadError, TurnResult
from .lifecycle import HostPhase, LifecycleSource, LifecycleState
from .watch import ConversationSnapshot, SyncProgress, watch_conversation

__all__ = [
    "CodexHost",
    "ConversationSnapshot",
    "Decision",
    "HostConfig",
    "HostMode",
    "HostNotRunningError",
    "HostPhase",
    "LifecycleSource",
    "LifecycleState",
    "NoThreadError",
    "ServerRequestInfo",
    "SyncProgress",
    "TurnResult",
    "watch_conversation",
    "watch_deletion",
]
