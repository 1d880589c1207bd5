"""The official Convex JavaScript client (convex 1.48, Node) against the deployment, beside the Python client
(issue #24): ConvexHttpClient's query, consistentQuery (/api/query_ts + /api/query_at_ts), function (/api/function),
mutation, action, argument-validation and ConvexError errors; ConvexClient's WebSocket with a token fetcher, a
subscription that sees a mutation, and, on the local backend, a reconnect after the backend restarts on its port.
The checks themselves are in convex/scripts/jsClientConformance.mjs."""

from __future__ import annotations

import json
import subprocess

import pytest

from codex_convex import paths
from codex_convex.backend import find_node
from tests.conftest import Deployment

pytestmark = pytest.mark.backend


def test_the_official_js_client_passes_its_checks(deployment: Deployment) -> None:
    assert paths.REPO_ROOT is not None
    convex_dir = paths.REPO_ROOT / "convex"
    proc = subprocess.Popen([find_node().path, "scripts/jsClientConformance.mjs", deployment.url, deployment.alice],
                            cwd=convex_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    assert proc.stdout is not None and proc.stdin is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.strip() == "ready":
                break
        if deployment.local is not None:  # restart on the same port: the JS client must reconnect by itself
            local = deployment.local
            local.port = int(local.url.rsplit(":", 1)[1])
            local.stop()
            local.start()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        lines += [line.rstrip() for line in proc.stdout]
        proc.wait(timeout=120)
    finally:
        proc.kill()
    checks = [json.loads(x) for x in lines if x.startswith("{") and "name" in x]
    failed = [c for c in checks if not c["ok"]]
    assert not failed, "\n".join(lines)
    assert len(checks) == 8 and proc.returncode == 0, "\n".join(lines)
