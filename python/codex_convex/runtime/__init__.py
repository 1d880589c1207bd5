"""The host runtime: drive Codex, replicate it live into Convex, answer approvals, report lifecycle."""

from .config import Coalescing, Decision, HostConfig, HostMode, JsonObject, ServerRequestHandler, ServerRequestInfo
from .deletion import watch_deletion
from .host import CodexHost, NoThreadError, ThreadInfo, ThreadListing
from .lifecycle import HostPhase, LifecycleSource, LifecycleState
from .message_watch import watch_message_text
from .process import AppServerOpener, HostNotRunningError
from .turns import TurnResult
from .watch import ConversationSnapshot, OptimisticMessage, SyncProgress, watch_conversation

__all__ = [
    "AppServerOpener",
    "Coalescing",
    "CodexHost",
    "ConversationSnapshot",
    "Decision",
    "HostConfig",
    "HostMode",
    "HostNotRunningError",
    "HostPhase",
    "JsonObject",
    "LifecycleSource",
    "LifecycleState",
    "NoThreadError",
    "OptimisticMessage",
    "ServerRequestHandler",
    "ServerRequestInfo",
    "SyncProgress",
    "ThreadInfo",
    "ThreadListing",
    "TurnResult",
    "watch_conversation",
    "watch_deletion",
    "watch_message_text",
]
