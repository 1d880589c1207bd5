"""The durable engine's own index paths (streamed ranges, pagination from the index, reactive re-fetch by end
cursor) return exactly the rows a plain model of the table says: in order, none twice, none missing, pages no
longer than asked (and full ones while no filter or read cap is in play)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from codex_convex.backend import LocalBackend
from tests.backend.test_limits import Probe

pytestmark = pytest.mark.backend

ROWS = 300
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
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probe]:
    with LocalBackend(tmp_path_factory.mktemp("index-pages")) as backend:
        p = Probe(backend)
        for start in range(0, ROWS, 100):
            p.ok("insertNumbered", **{"from": start, "n": 100})  # row i in group i % 3, inserted in order
        yield p


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


def expected(case: dict[str, Any]) -> list[int]:
    """The model: rows fromI ≤ i < toI (the index range), of the group if one is asked, in the asked order."""
    rows = [i for i in range(case.get("fromI", 0), case.get("toI", ROWS))
            if "group" not in case or i % 3 == case["group"]]
    return rows[::-1] if case["order"] == "desc" else rows


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_pages_walk_exactly_the_model_rows(probe: Probe, case: dict[str, Any]) -> None:
    pages = walk(probe, case)
    assert [i for page, _, _ in pages for i in page] == expected(case)
    assert all(len(page) <= case["numItems"] for page, _, _ in pages)
    if "group" not in case and "maximumRowsRead" not in case:
        assert all(len(page) == case["numItems"] for page, _, _ in pages[:-1])
