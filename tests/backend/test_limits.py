"""Convex's limits on the local backend: each one is hit by a real function (the admin-only probes
in tools/local-backend/probes/limits.ts), refused with Convex's wording, and the stored rows are unchanged after."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from codex_convex.backend import LocalBackend

pytestmark = pytest.mark.backend

MiB = 1024 * 1024


class Probe:
    """Calls `_probes/limits:*` over the HTTP API with the admin key."""

    def __init__(self, backend: LocalBackend) -> None:
        assert backend.info is not None
        self.http = httpx.Client(base_url=backend.url, timeout=120,
                                 headers={"Authorization": f"Convex {backend.info.admin_key}"})

    def call(self, kind: str, name: str, **args: Any) -> dict[str, Any]:
        r = self.http.post(f"/api/{kind}", json={"path": f"_probes/limits:{name}", "args": args, "format": "json"})
        assert r.status_code in (200, 560), r.text
        body: dict[str, Any] = r.json()
        return body

    def ok(self, name: str, **args: Any) -> Any:
        body = self.call("mutation", name, **args)
        assert body["status"] == "success", body
        return body["value"]

    def refused(self, name: str, **args: Any) -> str:
        body = self.call("mutation", name, **args)
        assert body["status"] == "error", f"{name} was not refused"
        return str(body["errorMessage"])

    def rows(self) -> int:
        n, cursor = 0, None
        while True:
            body = self.call("query", "countPage", cursor=cursor)
            assert body["status"] == "success", body
            n += body["value"]["n"]
            if body["value"]["done"]:
                return n
            cursor = body["value"]["cursor"]


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probe]:
    data: Path = tmp_path_factory.mktemp("limits")
    with LocalBackend(data) as backend:
        p = Probe(backend)
        p.ok("insertRows", n=10, bytes=10)
        yield p


def unchanged(probe: Probe, name: str, **args: Any) -> str:
    before = probe.rows()
    message = probe.refused(name, **args)
    assert probe.rows() == before
    return message


def test_documents_written(probe: Probe) -> None:
    assert "Wrote too many documents in a single function execution (limit: 16000)" in unchanged(
        probe, "insertRows", n=16_001, bytes=0)


def test_bytes_written(probe: Probe) -> None:
    assert "Wrote too much data in a single function execution (limit: 16777216 bytes)" in unchanged(
        probe, "insertRows", n=17, bytes=MiB - 1024)


def test_index_ranges(probe: Probe) -> None:
    assert "Too many index ranges read in a single function execution (limit: 4096)" in unchanged(
        probe, "manyRanges", n=4096)
    assert probe.ok("manyRanges", n=100) == 100  # under the limit the same function commits


def test_user_code_time_refused_at_return(probe: Probe) -> None:
    assert "Function execution timed out (maximum duration: 1s)" in unchanged(probe, "spin", ms=1300, readEveryMs=0)


def test_user_code_time_stops_a_long_function_at_its_next_database_call(probe: Probe) -> None:
    t0 = time.monotonic()
    assert "Function execution timed out (maximum duration: 1s)" in unchanged(probe, "spin", ms=20_000,
                                                                             readEveryMs=20)
    assert time.monotonic() - t0 < 10  # stopped shortly after its second, not after 20 s


def test_each_scheduled_function_has_its_own_budget(probe: Probe) -> None:
    # Four links of 400 ms, each scheduled from inside the previous one: 1.6 s in all, but 0.4 s per function.
    before = probe.rows()
    probe.ok("chain", left=4, ms=400)
    deadline = time.monotonic() + 30
    while probe.rows() < before + 4:
        assert time.monotonic() < deadline, "a link of the chain was refused"
        time.sleep(0.2)


def test_database_time_is_not_user_code(probe: Probe) -> None:
    # 15,000 inserts spend most of their time in the database; the function is not refused for it.
    assert probe.ok("insertRows", n=15_000, bytes=0) == 15_000


def test_return_value_size(probe: Probe) -> None:
    assert "Function return value is too large (17.00 MiB > maximum size 16 MiB)" in unchanged(
        probe, "bigReturn", bytes=17 * MiB)


def test_arguments_size(probe: Probe) -> None:
    assert "Function arguments are too large" in unchanged(probe, "insertDocument", doc={"pad": "x" * (17 * MiB)})


@pytest.mark.parametrize(("doc", "message"), [
    ({"pad": "x" * (MiB + 10)}, "Value is too large"),
    ({"list": list(range(8193))}, "Array length is too long (8193 > maximum length 8192)"),
    ({"deep": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {
        "a": 1}}}}}}}}}}}}}}}}}}, "Value is too nested"),
    ({"nested": {"$bad": 1}}, "Field name $bad starts with a '$', which is reserved"),
    ({"_top": 1}, "Field name _top starts with a '$' or '_', which is reserved"),
])
def test_document_limits(probe: Probe, doc: dict[str, object], message: str) -> None:
    assert message in unchanged(probe, "insertDocument", doc=doc)


def test_documents_read(probe: Probe) -> None:
    while probe.rows() < 32_100:
        probe.ok("insertRows", n=12_000, bytes=0)
    assert "Scanned too many documents in a single function execution (limit: 32000)" in unchanged(
        probe, "readRowsThenWrite", n=32_100, newestFirst=False)


def test_bytes_read(probe: Probe) -> None:
    for _ in range(3):
        probe.ok("insertRows", n=6, bytes=MiB - 1024)  # 18 MiB in all, 6 MiB per mutation
    # The newest rows first: the 1 MiB rows come before the small ones, so the read passes 16 MiB early.
    assert "Read too much data in a single function execution (limit: 16777216 bytes)" in unchanged(
        probe, "readRowsThenWrite", n=30, newestFirst=True)
