"""The worst-case dataset suite in the test command (tools/bench/worst_case.py at its `small` scale: the same shapes,
fewer of them), on a backend enforcing the older 8 MiB / 16,384-document read limits: every endpoint of the contract
is called on the worst shapes a user can produce, succeeds, and stays within half of every current Convex limit.
The full scale runs with `python -m tools.bench.worst_case` (results in tools/bench/RESULTS.md)."""

from __future__ import annotations

import pytest

from codex_convex.host_api import ENDPOINTS
from tools.bench.worst_case import LIMITS, run, table

pytestmark = [pytest.mark.anyio, pytest.mark.backend]


@pytest.mark.timeout(600)
async def test_every_endpoint_stays_within_half_of_every_limit_on_worst_case_data() -> None:
    report = await run("small", "legacy", log=lambda _: None)
    rows = {r["endpoint"]: r for r in report["endpoints"]}
    assert set(rows) == set(ENDPOINTS)  # enumerated from the contract: none skipped
    failed = {name: r["error"] for name, r in rows.items() if not r["ok"]}
    assert not failed, failed
    over = {name: r["metrics"] for name, r in rows.items()
            if r["metrics"] is None or any(r["metrics"][k] > LIMITS[k] / 2 for k in LIMITS)}
    assert not over, table(report)
