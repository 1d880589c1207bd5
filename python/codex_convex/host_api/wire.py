"""What the generated contract models stand on: one base model, numbers as Convex sends them, and pages.

Attributes are snake_case, the wire is camelCase (each field's alias). Dumped with :meth:`WireModel.wire`, an
optional field left ``None`` is omitted (Convex refuses ``null`` for ``v.optional(T)``); a nullable one is sent as
``null``; one both optional and nullable (``v.optional(v.union(T, v.null()))``) is sent as ``null`` when set to
``None`` and omitted when never set.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, Literal, TypeAlias, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


def _integral(v: int | float) -> int | float:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v


# Convex numbers are float64 (the official client hands back 3.0 for 3): the one place they are decoded, an integral
# one becomes an int (counts, attempts and ordinals print as 3, not 3.0); a Python int is sent back as float64.
Number: TypeAlias = Annotated[int | float, AfterValidator(_integral)]

T = TypeVar("T")


class WireModel(BaseModel):
    """A Convex object: built by field name or wire name; unknown wire fields (a newer component) are ignored."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)
    wire_optional: ClassVar[frozenset[str]] = frozenset()  # v.optional(T): None is left out
    wire_unset_optional: ClassVar[dict[str, str]] = {}  # v.optional(T | null): left out only when never set

    @model_serializer(mode="wrap")
    def _omit_unset_optionals(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in self.wire_optional:
                if name in data and data[name] is None:
                    del data[name]
            for name, attr in self.wire_unset_optional.items():
                if name in data and data[name] is None and attr not in self.model_fields_set:
                    del data[name]
        return data

    def wire(self) -> dict[str, Any]:
        """The object as Convex takes it (camelCase keys, unset optionals omitted)."""
        out: dict[str, Any] = self.model_dump(by_alias=True, mode="json")
        return out


class Page(WireModel, Generic[T]):
    """One page of a paginated query (Convex's ``PaginationResult``)."""

    page: list[T]
    is_done: bool = Field(alias="isDone")
    continue_cursor: str = Field(alias="continueCursor")
    split_cursor: str | None = Field(default=None, alias="splitCursor")
    page_status: Literal["SplitRecommended", "SplitRequired"] | None = Field(default=None, alias="pageStatus")
    wire_optional: ClassVar[frozenset[str]] = frozenset({"splitCursor", "pageStatus"})
