"""The base of every generated protocol model: its validator is built on first use, not at import (the pinned
protocol has ~1,450 models; a host uses a few dozen, and building them all would add seconds to every start)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, RootModel

T = TypeVar("T")


class ProtocolModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


class ProtocolRootModel(RootModel[T], Generic[T]):
    model_config = ConfigDict(defer_build=True)
