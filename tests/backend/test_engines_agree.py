"""The durable engine's own index paths (streamed ranges, pagination from the index) return exactly what
convex-test's engine returns: the same pages walked on both engines, compared row by row, page by page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from codex_convex.backend import LocalBackend
from tests.backend.test_limits import Probe

pytestmark = pytest.mark.backend

CASES: list[dict[str, Any]] = [
    {"numItems": 7, "order": "asc"},
    {"numItems": 7, "order": "desc"},
    {"numItems": 1, "order": "desc", "fromI": 40, "toI": 60},
    {"numItems": 50, "order": "asc", "fromI": 100},
    {"numItems": 10, "order": "desc", "toI": 90, "group": 1},
    {"numItems": 4, "order": "asc", "fromI": 20, "toI": 200, "group": 2},
    {"numItems": 30, "order": "asc", "maximumRowsRead": 8},
    {"numItems": 30, "order": "desc", "group": 0, "maximumRowsRead": 5},
    {"numItems": 500, "order": "asc"},
    {"numItems": 9, "order": "desc", "scan": True},
    {"numItems": 11, "order": "asc", "scan": True, "group": 1, "maximumRowsRead": 20},
]


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Probe]]:
    with LocalBackend(tmp_path_factory.mktemp("agree-durable"), engine="durable") as durable, \
            LocalBackend(tmp_path_factory.mktemp("agree-memory"), engine="memory") as memory:
        out = {"durable": Probe(durable), "memory": Probe(memory)}
        for p in out.values():
            for start in range(0, 300, 100):
                p.ok("insertNumbered", **{"from": start, "n": 100})
        yield out


def walk(probe: Probe, case: dict[str, Any]) -> list[tuple[list[int], bool, str | None]]:
    pages: list[tuple[list[int], bool, str | None]] = []
    cursor: str | None = None
    for _ in range(400):
        body = probe.call("query", "page", cursor=cursor, **case)
        assert body["status"] == "success", body
        v = body["value"]
        pages.append((v["is"], v["isDone"], v["pageStatus"]))
        # Re-fetching the same page bounded by its end cursor (reactive pagination) gives the same rows.
        if not v["isDone"]:
            again = probe.call("query", "page", cursor=cursor, endCursor=v["continueCursor"], **case)["value"]
            assert again["is"] == v["is"]
        if v["isDone"]:
            return pages
        cursor = v["continueCursor"]
    raise AssertionError("pagination did not finish")


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_pages_are_the_same_on_both_engines(probes: dict[str, Probe], case: dict[str, Any]) -> None:
    durable = walk(probes["durable"], case)
    memory = walk(probes["memory"], case)
    assert durable == memory
    rows = [i for page, _, _ in durable for i in page]
    assert len(rows) == len(set(rows))  # no row twice across pages
    assert rows == sorted(rows, reverse=case["order"] == "desc")
