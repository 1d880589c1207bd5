"""Driving the Codex app-server: finding the binary, its home, the transport and JSON-RPC."""

from .binary import PINNED_CODEX_VERSION, CodexBinary, find_codex
from .home import codex_env, scripted_config, write_scripted_home
from .rpc import DEFAULT_RPC_TIMEOUT_S, Notification, RpcClient, ServerRequest
from .transport import MemoryTransport, StdioTransport, Transport

__all__ = [
    "DEFAULT_RPC_TIMEOUT_S",
    "PINNED_CODEX_VERSION",
    "CodexBinary",
    "MemoryTransport",
    "Notification",
    "RpcClient",
    "ServerRequest",
    "StdioTransport",
    "Transport",
    "codex_env",
    "find_codex",
    "scripted_config",
    "write_scripted_home",
]
