"""The embedded local Convex backend (``tools/local-backend``): start, stop, status, and dev tokens for it."""

from .dev_token import DEV_AUDIENCE, DEV_ISSUER, mint_dev_token
from .launcher import BackendInfo, LocalBackend, NodeNotFoundError, backend_status, stop_backend

__all__ = [
    "DEV_AUDIENCE",
    "DEV_ISSUER",
    "BackendInfo",
    "LocalBackend",
    "NodeNotFoundError",
    "backend_status",
    "mint_dev_token",
    "stop_backend",
]
