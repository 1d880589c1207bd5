"""The embedded local Convex backend (``tools/local-backend``): start, stop, status, and dev tokens for it."""

from .dev_token import DEV_AUDIENCE, DEV_ISSUER, mint_dev_token
from .launcher import BackendInfo, LocalBackend, backend_status, stop_backend
from .node import NodeInfo, NodeNotFoundError, find_node

__all__ = [
    "DEV_AUDIENCE",
    "DEV_ISSUER",
    "BackendInfo",
    "LocalBackend",
    "NodeInfo",
    "NodeNotFoundError",
    "backend_status",
    "find_node",
    "mint_dev_token",
    "stop_backend",
]
