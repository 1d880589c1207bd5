"""A host builds the validators its first turn needs while Codex starts (runtime/warm.py): built on first use, they
blocked the event loop ~150–230 ms inside a user's first turn. Checked in a fresh process (in this one, earlier
tests have built them already)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import Deployment

pytestmark = [pytest.mark.backend]

SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import anyio
    from codex_convex.runtime import CodexHost, HostConfig
    from codex_convex.runtime.warm import first_turn_models

    def built():
        return sorted(m.__name__ for m in first_turn_models() if m.__pydantic_complete__)

    async def main():
        before = built()
        home, cwd, url, token = sys.argv[1:5]
        async with CodexHost(HostConfig(codex_home=Path(home), cwd=Path(cwd), convex_url=url, token=token)):
            after = built()
        print(json.dumps({"before": before, "after": after, "all": sorted(m.__name__ for m in first_turn_models())}))

    anyio.run(main)
""")


@pytest.mark.timeout(120)
def test_a_started_host_has_built_its_first_turns_validators(codex_home: Path, workdir: Path,
                                                              deployment: Deployment) -> None:
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(codex_home), str(workdir), deployment.url, deployment.alice],
                       capture_output=True, text=True, timeout=100)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "ItemStartedNotification" in out["all"] and "TurnStartResponse" in out["all"]
    assert "ItemStartedNotification" not in out["before"]  # deferred at import: the check can fail
    assert out["after"] == out["all"]
