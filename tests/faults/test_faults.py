"""Faults around a live turn: the backend killed and restarted mid-turn, the network to it cut and restored
(a TCP proxy under test control). Afterwards nothing is lost or duplicated: the persisted conversation equals
Codex's own record."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import SocketStream

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from codex_convex.runtime import CodexHost, HostConfig
from tests.support import codex_messages, conversation_messages, persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.codex, pytest.mark.faults]


async def run_turn_during(host: CodexHost, prompt: str, fault: Any) -> Any:
    out: dict[str, Any] = {}

    async def turn() -> None:
        out["r"] = await host.send(prompt)

    async with anyio.create_task_group() as tg:
        tg.start_soon(turn)
        await fault()
    return out["r"]


async def test_backend_killed_and_restarted_mid_turn(tmp_path: Path, codex_home: Path, workdir: Path) -> None:
    data = tmp_path / "backend"
    backend = LocalBackend(data)
    info = backend.start()
    port = int(info.url.rsplit(":", 1)[1])
    token = mint_dev_token(data, "faulty")
    cfg = HostConfig(codex_home=codex_home, cwd=workdir, convex_url=info.url, token=token, turn_timeout_s=60)
    try:
        async with CodexHost(cfg) as host:
            cid = await host.new_conversation()

            async def kill_and_restart() -> None:
                nonlocal backend
                await anyio.sleep(0.8)  # mid-stream: SLOW 3 streams for 3 s
                backend.kill()
                await anyio.sleep(0.5)
                backend = LocalBackend(data, port=port)
                backend.start()

            r = await run_turn_during(host, "SLOW 3", kill_and_restart)
            assert r.status == "completed"
            thread = (await host.read_thread())["thread"]
        async with ConvexHttp(info.url, token=token) as http:
            stored = await persisted_messages(HostApi(http), cid)
        assert conversation_messages(stored) == codex_messages(thread)
        assert stored[-1].status == "completed"
    finally:
        backend.stop()


class Proxy:
    """A TCP proxy on 127.0.0.1 that can cut every connection and refuse new ones, then heal."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self.conns: list[SocketStream] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])

    async def serve(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=self.port)
        task_status.started()
        await listener.serve(self._handle)

    async def _handle(self, client: SocketStream) -> None:
        if not self.up:
            await client.aclose()
            return
        try:
            upstream = await anyio.connect_tcp("127.0.0.1", self.target_port)
        except OSError:
            await client.aclose()
            return
        self.conns += [client, upstream]

        async def pipe(a: SocketStream, b: SocketStream) -> None:
            try:
                async for chunk in a:
                    await b.send(chunk)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError):
                pass
            finally:
                await b.aclose()

        async with anyio.create_task_group() as tg:
            tg.start_soon(pipe, client, upstream)
            tg.start_soon(pipe, upstream, client)

    async def cut(self) -> None:
        self.up = False
        for c in self.conns:
            await c.aclose()
        self.conns.clear()

    def heal(self) -> None:
        self.up = True


async def test_network_cut_and_restored_mid_turn(tmp_path: Path, codex_home: Path, workdir: Path) -> None:
    data = tmp_path / "backend"
    with LocalBackend(data) as backend:
        port = int(backend.url.rsplit(":", 1)[1])
        proxy = Proxy(port)
        token = mint_dev_token(data, "netcut")
        async with anyio.create_task_group() as tg:
            await tg.start(proxy.serve)
            url = f"http://127.0.0.1:{proxy.port}"
            cfg = HostConfig(codex_home=codex_home, cwd=workdir, convex_url=url, token=token, turn_timeout_s=60)
            async with CodexHost(cfg) as host:
                cid = await host.new_conversation()

                async def cut_then_heal() -> None:
                    await anyio.sleep(0.8)
                    await proxy.cut()
                    await anyio.sleep(1.0)
                    proxy.heal()

                r = await run_turn_during(host, "SLOW 3", cut_then_heal)
                assert r.status == "completed"
                thread = (await host.read_thread())["thread"]
            tg.cancel_scope.cancel()
        async with ConvexHttp(backend.url, token=token) as http:
            stored = await persisted_messages(HostApi(http), cid)
        assert conversation_messages(stored) == codex_messages(thread)


async def test_a_stalling_model_fails_the_turn_cleanly(tmp_path: Path, workdir: Path, deployment: Any) -> None:
    from codex_convex.codex import write_scripted_home
    from codex_convex.runtime import HostPhase
    from codex_convex.scripted_model import ScriptedModelServer

    with ScriptedModelServer() as model:
        home = write_scripted_home(tmp_path / "home", model.base_url, stream_idle_timeout_ms=1500)
        cfg = HostConfig(codex_home=home, cwd=workdir, convex_url=deployment.url, token=deployment.alice,
                         turn_timeout_s=60)
        async with CodexHost(cfg) as host:
            cid = await host.new_conversation()
            with anyio.fail_after(45):
                r = await host.send("STALL 30")
            assert r.status == "failed" and r.error is not None
            assert host.lifecycle_state().phase is HostPhase.RUNNING and host.lifecycle_state().turn_id is None
            again = await host.send("after the stall")
            assert again.status == "completed"
        async with ConvexHttp(deployment.url, token=deployment.alice) as http:
            turn = await HostApi(http).get_turn(thread_id=r.thread_id, turn_id=r.turn_id)
            assert turn.found and turn.turn.status == "failed" and turn.turn.error and turn.turn.error.message
            stored = await persisted_messages(HostApi(http), cid)
            assert all(m.status != "streaming" for m in stored)
