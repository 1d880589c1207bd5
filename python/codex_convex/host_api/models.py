"""The contract's wire shapes as pydantic models (generated: ``_generated/models.py``). Attributes are snake_case;
``.wire()`` / ``model_dump(by_alias=True)`` give the camelCase JSON Convex takes and returns."""

from ._generated.models import *  # noqa: F403
from ._generated.models import __all__ as __all__
