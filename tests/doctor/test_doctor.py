"""doctor passes on a good setup and each check fails, with its code, when its thing is broken."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from codex_convex.codex import write_scripted_home
from codex_convex.doctor import Check, DoctorConfig, run_doctor
from codex_convex.doctor.probes import load_contract
from codex_convex.host_api import CONTRACT_VERSION
from tests.conftest import Deployment

pytestmark = pytest.mark.anyio


def codes(checks: list[Check]) -> dict[str, str]:
    return {c.name: c.code for c in checks}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def good(deployment: Deployment, codex_home: Path) -> DoctorConfig:
    return DoctorConfig(deployment.url, deployment.alice, codex_home)


async def test_all_pass_on_the_local_backend(good: DoctorConfig) -> None:
    checks = await run_doctor(good)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert {"deployment", "auth: token accepted", "auth: identity required", "host endpoints", "contract version",
            "codex binary", "CODEX_HOME", "model"} <= {c.name for c in checks}


async def test_unreachable_deployment(good: DoctorConfig) -> None:
    good.url = f"http://127.0.0.1:{closed_port()}"
    assert codes(await run_doctor(good))["deployment"] == "E_DOCTOR_DEPLOYMENT_UNREACHABLE"


async def test_bad_token(good: DoctorConfig) -> None:
    good.token = "not-a-jwt"
    got = codes(await run_doctor(good))
    assert got["auth: token accepted"] == "E_DOCTOR_AUTH_TOKEN_REFUSED"
    assert got["host endpoints"] == "E_DOCTOR_AUTH_TOKEN_REFUSED"  # the token, not the shim, is what to fix


async def test_no_model_credentials_only_warn_on_the_embedded_backend(good: DoctorConfig, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    good.codex_home = tmp_path / "plain-home"  # no provider, no auth.json: only the scripted model can run
    good.local = True
    [model] = [c for c in await run_doctor(good) if c.name == "model"]
    assert model.ok and model.code == "WARNING" and "scripted" in model.reason
    good.local = False  # a real deployment: real turns need credentials
    [model] = [c for c in await run_doctor(good) if c.name == "model"]
    assert not model.ok and model.code == "E_DOCTOR_MODEL_CREDENTIALS"


async def test_missing_and_mismatched_endpoints(good: DoctorConfig) -> None:
    contract = copy.deepcopy(load_contract())
    contract["endpoints"]["teleportConversation"] = {"kind": "mutation", "args": {}}
    good.contract = contract
    assert codes(await run_doctor(good))["host endpoints"] == "E_DOCTOR_ENDPOINT_MISSING"
    contract = copy.deepcopy(load_contract())
    contract["endpoints"]["getConversation"]["args"] = {"conversationKey": {"fieldType": {"type": "string"},
                                                                          "optional": False}}
    good.contract = contract
    assert codes(await run_doctor(good))["host endpoints"] == "E_DOCTOR_ENDPOINT_MISMATCH"


async def test_codex_missing_and_wrong_version(good: DoctorConfig, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_BIN", str(tmp_path / "nope"))
    assert codes(await run_doctor(good))["codex binary"] == "E_DOCTOR_CODEX_MISSING"
    fake = tmp_path / "codex"
    fake.write_text("#!/bin/sh\necho codex-cli 0.0.1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CODEX_BIN", str(fake))
    assert codes(await run_doctor(good))["codex binary"] == "E_DOCTOR_CODEX_VERSION"


async def test_node_too_old_is_reported(good: DoctorConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert codes(await run_doctor(good))["node"] == "OK"
    fake = tmp_path / "node"
    fake.write_text("#!/bin/sh\necho v20.11.0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CODEX_CONVEX_NODE", str(fake))
    assert codes(await run_doctor(good))["node"] == "E_DOCTOR_NODE"


async def test_codex_home_not_writable(good: DoctorConfig, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    good.codex_home = blocker / "home"  # under a regular file: cannot be created, even by root
    assert codes(await run_doctor(good))["CODEX_HOME"] == "E_DOCTOR_CODEX_HOME_NOT_WRITABLE"


async def test_model_unreachable(good: DoctorConfig, tmp_path: Path) -> None:
    good.codex_home = write_scripted_home(tmp_path / "home2", f"http://127.0.0.1:{closed_port()}/v1")
    assert codes(await run_doctor(good))["model"] == "E_DOCTOR_MODEL_UNREACHABLE"


def test_cli_exit_codes(deployment: Deployment, codex_home: Path) -> None:
    env = {**os.environ, "CONVEX_URL": deployment.url, "CONVEX_TOKEN": deployment.alice, "CODEX_HOME": str(codex_home)}
    ok = subprocess.run([sys.executable, "-m", "codex_convex", "doctor", "--json"], env=env, capture_output=True,
                        text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["ok"] is True
    bad = subprocess.run([sys.executable, "-m", "codex_convex", "doctor", "--json"],
                         env={**env, "CONVEX_TOKEN": "garbage"}, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert any(c["code"] == "E_DOCTOR_AUTH_TOKEN_REFUSED" for c in json.loads(bad.stdout)["checks"])


async def test_auth_not_enforced_is_caught(tmp_path: Path, codex_home: Path) -> None:
    # A deployment that answers every call (a shim that ignores auth): respx stands in for it (on https://: plain
    # http:// goes through ConvexHttp's own transport, which respx does not patch).
    import httpx
    import respx

    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()  # the scripted model stays real
        mock.get("https://fake.test/version").mock(return_value=httpx.Response(200, text="1"))
        mock.post("https://fake.test/api/query").mock(return_value=httpx.Response(
            200, json={"status": "success", "value": {"ok": True, "contractVersion": CONTRACT_VERSION,
                                                       "conversationFound": None, "page": [], "isDone": True,
                                                       "continueCursor": ""}}))
        mock.post("https://fake.test/api/mutation").mock(return_value=httpx.Response(
            200, json={"status": "success", "value": None}))
        checks = await run_doctor(DoctorConfig("https://fake.test", "tok", codex_home))
    assert codes(checks)["auth: identity required"] == "E_DOCTOR_AUTH_NOT_ENFORCED"

