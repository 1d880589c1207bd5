"""What the generated endpoint API stands on: one :class:`ConvexHttp` and the call that drops unset arguments."""

from __future__ import annotations

from typing import Any, Literal

from ..convex_api import ConvexHttp


class HostApiBase:
    """Calls the app's host shim (``chat:*``) over HTTP with the caller's token."""

    def __init__(self, http: ConvexHttp) -> None:
        self.http = http

    async def _call(self, kind: Literal["query", "mutation"], path: str, args: dict[str, Any]) -> Any:
        clean = {k: v for k, v in args.items() if v is not None}
        if kind == "query":
            return await self.http.query(path, clean)
        return await self.http.mutation(path, clean)
