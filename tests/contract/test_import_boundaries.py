"""Import boundaries: the Python layers (each package imports only from layers below it) and the TypeScript
folders (the component imports nothing of the app, the tests or Node; the app's functions only the component's
config). One owner of HTTP: ``convex_api``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from codex_convex import paths

assert paths.REPO_ROOT is not None
ROOT = paths.REPO_ROOT
PKG = ROOT / "python" / "codex_convex"

# Lowest first. A module may import its own package and any package of a lower layer, nothing else.
LAYERS: list[set[str]] = [
    {"__init__", "errors", "error_codes", "paths", "logs"},  # the foundation
    {"protocol", "convex_api"},  # the two peers' wire formats: Codex's protocol models; Convex over HTTP
    {"codex", "host_api"},  # driving the app-server; the typed contract of the host endpoints
    {"events", "backend", "scripted_model", "schema_tools", "web"},  # ingest events; local services, the page; codegen
    {"replication", "sync"},  # live replication; imports through sync sources
    {"runtime", "doctor"},  # the host runtime; deployment checks
    {"deployment"},  # which deployment a command talks to
    {"demo", "inspect"},  # the main job; notebook DataFrames
    {"cli"},  # the command line
    {"__main__"},  # python -m codex_convex
]
LAYER_OF = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _top(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2 or not ((PKG / parts[1]).is_dir() or (PKG / f"{parts[1]}.py").exists()):
        return "__init__"  # the package itself (e.g. `from .. import __version__`)
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(PKG.parent).with_suffix("")
    module = ".".join(rel.parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    if path.name == "__init__.py":
        module = package
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
            out += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


def _python_files() -> list[Path]:
    return [p for p in PKG.rglob("*.py") if "_generated" not in p.parts]


def test_every_package_has_a_layer() -> None:
    tops = {p.relative_to(PKG).parts[0].removesuffix(".py") for p in PKG.iterdir()
            if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert tops - set(LAYER_OF) == set(), "give each new package a layer in LAYERS"


def test_python_layers_import_only_downwards() -> None:
    violations = []
    for path in _python_files():
        own = path.relative_to(PKG).parts[0].removesuffix(".py")
        for line, target in _imports(path):
            if not target.startswith("codex_convex"):
                continue
            other = _top(target)
            if other != own and LAYER_OF[other] >= LAYER_OF[own]:
                violations.append(f"{path.relative_to(ROOT)}:{line} ({own}, layer {LAYER_OF[own]}) imports {target} "
                                  f"(layer {LAYER_OF[other]})")
    assert violations == [], "\n".join(violations)


def test_only_convex_api_speaks_http() -> None:
    users = [f"{p.relative_to(ROOT)}:{line}" for p in _python_files() for line, target in _imports(p)
             if target.split(".")[0] == "httpx" and p.relative_to(PKG).parts[0] != "convex_api"]
    assert users == [], users


def test_pandas_stays_in_inspect() -> None:
    users = [str(p.relative_to(ROOT)) for p in _python_files() for _, target in _imports(p)
             if target.split(".")[0] == "pandas" and p.name != "inspect.py"]
    assert users == [], users


# ----- TypeScript ----------------------------------------------------------------------------------------------

TS_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;\n]*?\bfrom\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']"""
                       r"""|\bimport\(\s*["']([^"']+)["']\s*\)""", re.M)


def _ts_imports(folder: str, *, tests: bool = False) -> list[tuple[Path, str]]:
    out = []
    for path in (ROOT / folder).rglob("*.ts"):
        if "_generated" in path.parts or (".test." in path.name) != tests:
            continue
        out += [(path, next(g for g in m if g)) for m in TS_IMPORT.findall(path.read_text())]
    return out


def _resolved(path: Path, spec: str) -> Path:
    return (path.parent / spec).resolve()


def test_the_component_imports_only_itself_and_convex() -> None:
    bad = []
    component = (ROOT / "convex" / "component").resolve()
    for path, spec in _ts_imports("convex/component"):
        if spec.startswith("."):
            if not _resolved(path, spec).is_relative_to(component):
                bad.append(f"{path.name}: {spec}")
        elif not (spec == "convex" or spec.startswith(("convex/", "convex-helpers", "@noble/hashes/"))):
            bad.append(f"{path.name}: {spec}")  # no Node built-ins, no other packages: Convex bundles this folder
    assert bad == [], bad


def test_the_app_functions_import_only_the_component_config() -> None:
    bad = []
    app = (ROOT / "convex" / "app").resolve()
    allowed = (ROOT / "convex" / "component" / "convex.config.js").resolve()
    for path, spec in _ts_imports("convex/app"):
        if spec.startswith("."):
            target = _resolved(path, spec)
            if not target.is_relative_to(app) and target != allowed:
                bad.append(f"{path.name}: {spec}")
        elif not spec.startswith("convex"):
            bad.append(f"{path.name}: {spec}")
    assert bad == [], bad


def test_nothing_shipped_imports_the_test_helpers_or_the_scripts() -> None:
    bad = []
    for folder in ("convex/component", "convex/app", "convex/contract"):
        for path, spec in _ts_imports(folder):
            if spec.startswith(".") and any(part in ("testing", "scripts") for part in Path(spec).parts):
                bad.append(f"{path.relative_to(ROOT)}: {spec}")
    assert bad == [], bad


def test_the_local_backend_reaches_the_functions_only_through_its_module_map() -> None:
    """It runs the app's and the component's real functions from one generated module map (modules.gen.ts),
    never by importing their files elsewhere."""
    own = (ROOT / "tools" / "local-backend").resolve()
    bad = [f"{p.name}: {s}" for p, s in _ts_imports("tools/local-backend/src")
           if s.startswith(".") and not _resolved(p, s).is_relative_to(own) and p.name != "modules.gen.ts"]
    assert bad == [], bad
