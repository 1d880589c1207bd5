"""Start and stop the bundled local backend (one ``node`` process) and find a running one.

A started backend writes ``<data>/backend.json`` (url, pid) so ``status``/``stop`` and other processes find it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .. import paths
from ..convex_api import raw
from ..errors import CodexConvexError, ConvexTransportError
from .node import find_node

STATE_FILE = "backend.json"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class BackendInfo:
    url: str
    pid: int
    data_dir: Path
    bundle: str | None = None  # the SHA-256 of the bundle it runs (None: recorded by an older release)
    detached: bool = True  # started to outlive its starter (the embedded default, `backend start`), not owned

    def outdated(self) -> bool:
        """A backend left running (detached) by another build of codex-convex (an upgrade, a rebuild since): it
        serves other functions than this host expects. One a process owns (a test's, an app's) is never judged."""
        return self.detached and self.bundle != bundle_sha256()

    @property
    def admin_key(self) -> str:
        return (self.data_dir / "admin-key").read_text().strip()


def _why_not_started(log_file: Path, since: int) -> str:
    """What the backend said before it stopped: its ``fatal`` event's error without the stack (e.g. a stored document
    the schema refuses), else the end of its log."""
    with log_file.open("rb") as f:
        f.seek(since)
        lines = f.read().decode(errors="replace").splitlines()
    for line in reversed(lines):
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict) and event.get("event") == "fatal":
                return "\n".join(x for x in str(event.get("error")).splitlines() if not x.startswith("    at "))
    return "\n".join(lines)[-2000:]


def _node() -> str:
    """:raises NodeNotFoundError: no Node ≥ 22.13 (see :mod:`.node`)."""
    return find_node().path


def bundle_sha256() -> str:
    """The identity of the installed backend bundle: a backend running another one serves other functions."""
    return hashlib.sha256(_bundle().read_bytes()).hexdigest()


def _bundle() -> Path:
    bundle = paths.backend_bundle()
    if not bundle.exists():
        raise CodexConvexError(f"the local backend bundle is missing at {bundle}: run `make setup` in the checkout",
                               code="E_BACKEND_BUNDLE_MISSING")
    return bundle


def _healthy(url: str, timeout_s: float = 2.0) -> bool:
    try:
        return raw.get_sync(f"{url}/health", timeout_s=timeout_s).status == 200
    except ConvexTransportError:
        return False


class LocalBackend:
    """A local backend process owned by this object (tests, the demo, ``backend start``).

    :param port: 0 lets the backend pick a free port.
    :param detach: keep running after this Python process exits (``codex-convex backend start``).
    :param scheduler_lag_ms: fault injection: scheduled functions run this much late (``(lo, hi)``: at random).
    :param read_limits: ``"legacy"``: the 8 MiB / 16,384-document read limits of older Convex builds.
    :param allow_origins: web origins (besides loopback pages) admitted to the HTTP API and the sync WebSocket.
    """

    def __init__(self, data_dir: Path, *, port: int = 0, verbose: bool = False,
                 log_file: Path | None = None, detach: bool = False, ping_ms: int | None = None,
                 scheduler_lag_ms: tuple[int, int] | None = None, read_limits: str = "convex",
                 allow_origins: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.port = port
        self.verbose = verbose
        self.log_file = log_file or data_dir / "backend.log"
        self.detach = detach
        self.ping_ms = ping_ms
        self.scheduler_lag_ms = scheduler_lag_ms
        self.read_limits = read_limits
        self.allow_origins = allow_origins
        self.process: subprocess.Popen[bytes] | None = None
        self.info: BackendInfo | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        assert self.info is not None, "backend not started"
        return self.info.url

    def start(self) -> BackendInfo:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.data_dir.chmod(0o700)  # conversations live here: this user only
        args = [_node(), str(_bundle()), "--port", str(self.port), "--data", str(self.data_dir)]
        if self.verbose:
            args.append("--verbose")
        if self.ping_ms is not None:
            args += ["--ping-ms", str(self.ping_ms)]
        for origin in self.allow_origins:
            args += ["--allow-origin", origin]
        if self.read_limits != "convex":
            args += ["--read-limits", self.read_limits]
        if self.scheduler_lag_ms is not None:
            args += ["--scheduler-lag-ms", f"{self.scheduler_lag_ms[0]}..{self.scheduler_lag_ms[1]}"]
        self._log = os.fdopen(os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        os.chmod(self.log_file, 0o600)
        log_start = self.log_file.stat().st_size
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
                                        start_new_session=self.detach)
        assert self.process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        line = b""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line or self.process.poll() is not None:
                break
        if not line:
            self.stop()
            why = _why_not_started(self.log_file, log_start)
            raise CodexConvexError(f"the local backend did not start: {why}", code="E_BACKEND_START")
        event = json.loads(line)
        self.info = BackendInfo(event["url"], event["pid"], self.data_dir, bundle_sha256(), self.detach)
        state = self.data_dir / STATE_FILE
        state.write_text(json.dumps({"url": self.info.url, "pid": self.info.pid, "bundle": self.info.bundle,
                                     "detached": self.detach}))
        state.chmod(0o600)
        return self.info

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        if self._log is not None:
            self._log.close()
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)

    def kill(self) -> None:
        """``kill -9`` (fault tests)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> LocalBackend:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def backend_status(data_dir: Path) -> BackendInfo | None:
    """The backend recorded in ``data_dir`` if it is alive and answering, else ``None``."""
    state = data_dir / STATE_FILE
    if not state.exists():
        return None
    data = json.loads(state.read_text())
    info = BackendInfo(data["url"], int(data["pid"]), data_dir, data.get("bundle"), bool(data.get("detached", True)))
    return info if _healthy(info.url) else None


def _answers_as(url: str, pid: int) -> bool:
    """Whether the backend at ``url`` is up and is process ``pid`` (its /health says so)."""
    try:
        r = raw.get_sync(f"{url}/health", timeout_s=2.0)
    except ConvexTransportError:
        return False
    health = r.json()
    return r.status == 200 and isinstance(health, dict) and health.get("pid") == pid


def stop_backend(data_dir: Path) -> bool:
    """Stop the backend recorded in ``data_dir``; ``False`` when none was running. A process is signalled only if
    the backend at the recorded URL answers as that process: a stale ``backend.json`` (the backend died and its pid
    was reused by another program) is removed without signalling anything."""
    state = data_dir / STATE_FILE
    if not state.exists():
        return False
    data = json.loads(state.read_text())
    pid = int(data["pid"])
    if not _answers_as(str(data.get("url", "")), pid):
        state.unlink(missing_ok=True)
        return False
    stopped = False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        stopped = True
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    state.unlink(missing_ok=True)
    return stopped
