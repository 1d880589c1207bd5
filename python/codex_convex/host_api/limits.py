"""The component's limits (generated from ``convex/component/limits.ts``: ``_generated/limits.py``)."""

from ._generated.limits import *  # noqa: F403
from ._generated.limits import __all__ as __all__
