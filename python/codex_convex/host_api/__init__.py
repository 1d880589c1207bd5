"""The host endpoints of the app's shim, typed and generated from the contract (``_generated/``): one method per
endpoint (:class:`HostApi`, over HTTP), one subscription per query (:class:`HostSubscriptions`), the pydantic
models of every argument and result (``models``) and the component's limits (``limits``)."""

from . import limits, models
from ._generated.endpoints import ALLOW_ANONYMOUS, CONTRACT_VERSION, ENDPOINTS, HostApi, HostSubscriptions
from .base import HostApiBase, HostSubscriptionsBase
from .wire import Number, Page, WireModel

__all__ = [
    "ALLOW_ANONYMOUS",
    "CONTRACT_VERSION",
    "ENDPOINTS",
    "HostApi",
    "HostApiBase",
    "HostSubscriptions",
    "HostSubscriptionsBase",
    "Number",
    "Page",
    "WireModel",
    "limits",
    "models",
]
