"""Open a ready app-server: spawn, ``initialize`` → ``initialized``, and close it cleanly on exit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from .. import __version__
from .binary import CodexBinary, find_codex
from .home import codex_env
from .rpc import ProtocolErrorHandler, RpcClient, RpcRequestHandler
from .transport import StdioTransport, Transport

INITIALIZE_TIMEOUT_S = 30.0


@dataclass
class AppServer:
    rpc: RpcClient
    transport: Transport
    init_result: dict[str, Any]


@asynccontextmanager
async def open_app_server(home: Path, *, cwd: Path | None = None, binary: CodexBinary | None = None,
                          on_server_request: RpcRequestHandler | None = None,
                          on_protocol_error: ProtocolErrorHandler | None = None,
                          env_extra: dict[str, str] | None = None,
                          experimental_api: bool = False) -> AsyncIterator[AppServer]:
    """Spawn ``codex app-server`` with ``CODEX_HOME=home`` and initialize it (``experimental_api``: opted in to
    Codex's experimental API, ``initialize``'s ``capabilities.experimentalApi``)."""
    binary = binary or find_codex()
    env = codex_env(binary, home, env_extra)
    async with anyio.create_task_group() as tg:
        transport = await StdioTransport.spawn(binary.path, env, cwd or home, tg)
        try:
            async with RpcClient(transport, on_server_request=on_server_request,
                                 on_protocol_error=on_protocol_error) as rpc:
                params: dict[str, Any] = {"clientInfo": {"name": "codex-convex", "version": __version__}}
                if experimental_api:
                    params["capabilities"] = {"experimentalApi": True}
                result = await rpc.request("initialize", params, timeout_s=INITIALIZE_TIMEOUT_S)
                await rpc.notify("initialized")
                yield AppServer(rpc, transport, result)
        finally:
            await transport.aclose()
            tg.cancel_scope.cancel()
