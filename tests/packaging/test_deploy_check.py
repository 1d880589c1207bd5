"""The npm package deploys as Convex components are deployed (tools/deploy_check.py): packed, installed into a
throwaway app, type-checked, tested through its ``test`` export, bundled by the Convex CLI's own push bundling and
loaded in a V8 context with Convex's globals only. The check must also catch what broke the first package: a test
helper or a Node import inside the component's functions folder."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from codex_convex import paths

pytestmark = pytest.mark.backend

assert paths.REPO_ROOT is not None
REPO = paths.REPO_ROOT


def _deploy_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_check", REPO / "tools" / "deploy_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["deploy_check"] = module
    spec.loader.exec_module(module)
    return module


def _package_copy(tmp_path: Path) -> Path:
    """The convex/ package as sources, in a folder of its own (node_modules shared), to plant a regression in."""
    copy = tmp_path / "package"
    shutil.copytree(REPO / "convex", copy, ignore=shutil.ignore_patterns("node_modules", "dist"))
    (copy / "node_modules").symlink_to(REPO / "convex" / "node_modules")
    return copy


@pytest.mark.timeout(600)
def test_the_package_installs_bundles_and_loads_like_on_convex(tmp_path: Path) -> None:
    dc = _deploy_check()
    steps = dc.DeployCheck(work=tmp_path / "work").all()
    assert steps[-1] == "auth.config without its settings fails the deploy"
    assert "npx convex deploy --debug-bundle-path (app + component)" in steps
    assert "vitest through codex-convex/test" in steps
    assert {"tsc (moduleResolution Bundler)", "tsc (moduleResolution NodeNext)"} <= set(steps)


HELPER = """/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import schema from "./schema.js";
export const modules = import.meta.glob("./**/*.ts");
export const initConvexTest = () => convexTest(schema, modules);
"""

NODE_IMPORT = """import { createHash } from "node:crypto";
export const digest = (s: string) => createHash("sha256").update(s).digest("hex");
"""


@pytest.mark.timeout(600)
@pytest.mark.parametrize(("name", "source", "failing_step"), [
    # the app has convex-test installed (for its own tests), so the helper bundles and fails when Convex loads it
    ("testing.ts", HELPER, "load every bundled module in V8 (web globals only)"),
    ("nodeHash.ts", NODE_IMPORT, "npm pack"),
])
def test_a_planted_regression_in_the_functions_folder_fails_the_check(
        tmp_path: Path, name: str, source: str, failing_step: str) -> None:
    dc = _deploy_check()
    package = _package_copy(tmp_path)
    (package / "component" / name).write_text(source)
    with pytest.raises(dc.DeployCheckFailed) as failed:
        dc.DeployCheck(work=tmp_path / "work", package_dir=package).all()
    assert failed.value.step == failing_step, failed.value.output[-2000:]
    assert name.replace(".ts", "") in failed.value.output
