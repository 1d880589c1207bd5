"""Shared fixtures: the scripted model, a CODEX_HOME pointed at it, and a Convex deployment.

The deployment is the local backend (started once per session on a free port), or a real one when
``CONVEX_URL`` is set together with ``CONVEX_TOKEN_ALICE`` and ``CONVEX_TOKEN_BOB`` (two users' JWTs).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.codex import write_scripted_home
from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from codex_convex.runtime import HostConfig
from codex_convex.scripted_model import ScriptedModelServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="run the long variants of the fault suites")


@pytest.fixture
def long_run(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--long"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as server:
        yield server


@pytest.fixture
def codex_home(tmp_path: Path, scripted_model: ScriptedModelServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    # exec_command runs `bash -lc`: keep the user's rc files out of it
    home = tmp_path / "user-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return write_scripted_home(tmp_path / "codex-home", scripted_model.base_url)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    return d


@dataclass
class Deployment:
    url: str
    alice: str  # a JWT for user alice
    bob: str  # a JWT for user bob
    local: LocalBackend | None  # None on a real deployment

    def token(self, subject: str, **kw: object) -> str:
        if self.local is None:
            pytest.skip("minting tokens needs the local backend's dev issuer")
        return mint_dev_token(self.local.data_dir, subject, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    url = os.environ.get("CONVEX_URL")
    if url:
        alice, bob = os.environ.get("CONVEX_TOKEN_ALICE"), os.environ.get("CONVEX_TOKEN_BOB")
        if not (alice and bob):
            pytest.skip("CONVEX_URL is set but CONVEX_TOKEN_ALICE / CONVEX_TOKEN_BOB are not")
        yield Deployment(url, alice, bob, None)
        return
    data = tmp_path_factory.mktemp("backend")
    # CODEX_CONVEX_TEST_SCHEDULER_LAG_MS=LO..HI runs the suite against a backend whose scheduled functions run late
    # (as Convex's scheduler can under load): the sync and deletion job tests must pass under it.
    lag = os.environ.get("CODEX_CONVEX_TEST_SCHEDULER_LAG_MS")
    lo, _, hi = (lag or "").partition("..")
    with LocalBackend(data, scheduler_lag_ms=(int(lo), int(hi or lo)) if lag else None) as backend:
        yield Deployment(backend.url, mint_dev_token(data, "alice"), mint_dev_token(data, "bob"), backend)


@pytest.fixture
def host_config(codex_home: Path, workdir: Path, deployment: Deployment) -> HostConfig:
    return HostConfig(codex_home=codex_home, cwd=workdir, convex_url=deployment.url, token=deployment.alice,
                      rpc_timeout_s=30, turn_timeout_s=60)


@pytest.fixture
async def alice_api(deployment: Deployment) -> AsyncIterator[HostApi]:
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        yield HostApi(http)
