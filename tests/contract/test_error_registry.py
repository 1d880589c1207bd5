"""One error registry (convex/component/errorCodes.ts): every code the code base reports is registered, every
registered code is reported somewhere and documented, and Python picks the exception class from the code's kind."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import pkgutil
import re
import subprocess
from pathlib import Path

import pytest

import codex_convex
from codex_convex import paths
from codex_convex.convex_api.errors import error_from_data
from codex_convex.error_codes import ERRORS
from codex_convex.errors import (
    CodexConvexError,
    ConflictError,
    ConvexApiError,
    ConvexAuthError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
)

assert paths.REPO_ROOT is not None
ROOT = paths.REPO_ROOT
CODE = re.compile(r"""["'](E_[A-Z0-9_]+)["']""")
REGISTRY = ROOT / "convex" / "component" / "errorCodes.ts"


def _sources() -> list[Path]:
    py = [p for p in (ROOT / "python" / "codex_convex").rglob("*.py")
          if "_generated" not in p.parts and p.name != "error_codes.py"]
    ts = [p for d in ("convex/component", "convex/app", "tools/local-backend/src") for p in (ROOT / d).rglob("*.ts")
          if ".test." not in p.name and "_generated" not in p.parts and p != REGISTRY]
    return py + ts


def _used() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for path in _sources():
        for code in CODE.findall(path.read_text()):
            used.setdefault(code, []).append(str(path.relative_to(ROOT)))
    return used


def test_every_reported_code_is_registered() -> None:
    unregistered = {code: where for code, where in _used().items() if code not in ERRORS}
    assert unregistered == {}, f"register these in convex/component/errorCodes.ts: {unregistered}"


def test_every_registered_code_is_reported_somewhere() -> None:
    used = _used()
    # a class attribute `code = "E_…"` counts as use: its class raises it
    unused = sorted(code for code in ERRORS if code not in used)
    assert unused == [], f"registered but never reported (delete them, or use them): {unused}"


def test_the_registry_is_documented_with_meaning_and_fix() -> None:
    for doc in ("README.md", "LLMS.md"):
        text = (ROOT / doc).read_text()
        missing = [code for code in ERRORS if f"| `{code}` |" not in text]
        assert missing == [], f"{doc} lacks {missing}: run `codex-convex host-shim sync`"
    assert all(spec.meaning and spec.fix for spec in ERRORS.values())


@pytest.mark.parametrize(("code", "cls"), [
    ("E_CONVERSATION_NOT_FOUND", NotFoundError), ("E_REQUEST_ALREADY_ANSWERED", ConflictError),
    ("E_SYNC_CHUNK_BAD_HASH", InvalidInputError), ("E_SYNC_CHUNK_TOO_LARGE", LimitExceededError),
    ("E_AUTH_REQUIRED", ConvexAuthError), ("E_SYNC_CHUNK_CORRUPT", ConvexApiError),
])
def test_component_errors_arrive_as_the_class_of_their_kind(code: str, cls: type[ConvexApiError]) -> None:
    err = error_from_data("refused", {"code": code, "message": "no"})
    assert type(err) is cls and err.code == code and err.message == "no"
    assert isinstance(err, ConvexApiError) and isinstance(err, CodexConvexError)


def test_every_component_code_maps_to_a_class_of_its_kind() -> None:
    by_kind = {"invalid": InvalidInputError, "limit": LimitExceededError, "notFound": NotFoundError,
               "conflict": ConflictError, "auth": ConvexAuthError}
    for code, spec in ERRORS.items():
        if spec.side == "component" and spec.kind in by_kind:
            assert isinstance(error_from_data("x", {"code": code, "message": "x"}), by_kind[spec.kind]), code


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for mod in pkgutil.walk_packages(codex_convex.__path__, "codex_convex."):
        if "_generated" in mod.name or mod.name.endswith(("__main__", "inspect")):
            continue
        module = importlib.import_module(mod.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith("codex_convex"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def test_every_exception_class_is_in_the_tree_with_a_registered_code() -> None:
    classes = _exception_classes()
    assert len(classes) > 15
    outside = [c.__qualname__ for c in classes if not issubclass(c, CodexConvexError)]
    assert outside == [], f"exception classes outside CodexConvexError: {outside}"
    unregistered = [c.__qualname__ for c in classes if c.code not in ERRORS]  # type: ignore[attr-defined]
    assert unregistered == []
    documented = (ROOT / "python" / "codex_convex" / "errors.py").read_text()
    undocumented = [c.__qualname__ for c in classes if c.__qualname__ not in documented]
    assert undocumented == [], f"add to the tree in errors.py's docstring: {undocumented}"


@pytest.mark.timeout(300)
def test_tsc_refuses_an_unregistered_code_in_the_component(tmp_path: Path) -> None:
    """fail(), coded(), the job engine and cancelLiveJobs take the registry's ErrorCode: a planted unregistered
    code does not type-check, a registered one does."""
    component = ROOT / "convex" / "component"

    def check(code: str) -> subprocess.CompletedProcess[str]:
        planted = tmp_path / f"planted_{code.lower()}.ts"
        planted.write_text(f'import {{ fail }} from "{component / "errors.js"}";\n'
                           f'export const f = () => fail("{code}", "planted");\n')
        config = tmp_path / f"tsconfig_{code.lower()}.json"
        config.write_text(json.dumps({"extends": str(ROOT / "convex" / "tsconfig.json"),
                                      "compilerOptions": {"noEmit": True, "types": []}, "include": [],
                                      "files": [str(planted)]}))
        env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'node-bin'}{os.pathsep}{os.environ['PATH']}"}
        return subprocess.run(["npx", "--no-install", "tsc", "-p", str(config)], cwd=ROOT / "convex", env=env,
                              capture_output=True, text=True, timeout=240)

    bad = check("E_NOT_REGISTERED")
    assert bad.returncode != 0 and "E_NOT_REGISTERED" in bad.stdout, bad.stdout
    good = check("E_THREAD_NOT_FOUND")
    assert good.returncode == 0, good.stdout


def test_python_codes_are_literals_the_scan_can_see() -> None:
    """No code is built at run time (an f-string code would escape the registry)."""
    built = []
    for path in (ROOT / "python" / "codex_convex").rglob("*.py"):
        if "_generated" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "code" and isinstance(node.value, ast.JoinedStr):
                built.append(f"{path.name}:{node.lineno}")
    assert built == [], built
