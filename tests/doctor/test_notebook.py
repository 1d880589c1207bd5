"""examples/inspect_jobs.ipynb runs against the local backend with real imported threads and draws its plot."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from codex_convex import paths
from codex_convex.runtime import CodexHost, HostConfig, HostMode
from tests.conftest import Deployment

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def test_inspect_frames_and_notebook(deployment: Deployment, host_config: HostConfig,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    token = deployment.token("analyst")
    local = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY)
    threads = []
    for prompts in (["first thread", "more"], ["second thread"]):
        async with CodexHost(local) as host:
            threads.append(await host.new_conversation())
            for p in prompts:
                await host.send(p)
    cfg = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, convex_url=deployment.url, token=token)
    async with CodexHost(cfg) as host:
        for tid in threads:
            assert (await host.import_local_thread(tid)).state == "synced"

    from codex_convex import inspect

    monkeypatch.setenv("CONVEX_URL", deployment.url)
    monkeypatch.setenv("CONVEX_TOKEN", token)
    jobs = inspect.sync_jobs()
    assert set(jobs["threadId"]) == set(threads)
    assert str(jobs["createdAt"].dtype) == "datetime64[ms, UTC]" or "datetime64" in str(jobs["createdAt"].dtype)
    assert str(jobs["totalRecords"].dtype) == "Int64" and (jobs["duration_s"] >= 0).all()
    assert set(inspect.sync_sources()["state"]) == {"sealed"}
    assert len(inspect.conversations()) == 2

    assert paths.REPO_ROOT is not None
    nb = nbformat.read(paths.REPO_ROOT / "examples" / "inspect_jobs.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(Path.cwd())}})
    env_before = dict(os.environ)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the duration plot was not drawn"
