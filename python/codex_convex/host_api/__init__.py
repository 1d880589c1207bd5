"""The host endpoints of the app's shim, typed and generated from the contract (``_generated/endpoints.py``)."""

from ._generated.endpoints import ALLOW_ANONYMOUS, CONTRACT_VERSION, ENDPOINTS, HostApi
from .base import HostApiBase

__all__ = ["ALLOW_ANONYMOUS", "CONTRACT_VERSION", "ENDPOINTS", "HostApi", "HostApiBase"]
