"""Where a streamed delta's time goes between the host's write and the watcher's view, hop by hop.

The host times each write (sent, answered: ``time.perf_counter()``) and the watcher when it saw each delta; a
backend started with ``--verbose`` logs, on the same monotonic clock (CLOCK_MONOTONIC on Linux: ``monotonicMs`` in
tools/local-backend/src/log.ts), when each HTTP call arrived, ran and ended (``call``) and when a commit's refresh
began and its results left for a connection (``sync.pushed``). Lined up per write:

    sent → received → started → ended → refreshed → pushed → seen
      to the backend · before the run · the mutation · queued · the view's re-run · to the watcher
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import pairwise
from typing import Any

from ._common import summary_ms

HOPS = ("to_backend", "before_run", "mutation", "queued", "view_rerun", "to_watcher")


def parse_log(lines: Iterable[str], path: str) -> tuple[list[dict[str, float]], dict[int, list[dict[str, float]]]]:
    """The timed calls of `path` and each connection's pushes, from the backend's structured log."""
    calls: list[dict[str, float]] = []
    pushes: dict[int, list[dict[str, float]]] = {}
    for line in lines:
        if '"call"' not in line and '"sync.pushed"' not in line:
            continue
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get("event") == "call" and ev.get("path") == path and "receivedAt" in ev:
            calls.append(ev)
        elif ev.get("event") == "sync.pushed":
            pushes.setdefault(int(ev["conn"]), []).append(ev)
    return calls, pushes


def delta_timeline(writes: list[tuple[float, float, int, int]], seen_at: dict[int, float],
                   lines: Iterable[str], path: str = "chat:ingestEvents") -> dict[str, Any]:
    """Per-hop summaries (ms) over the deltas of `writes` ((sent, answered, first delta, end), seconds) that the
    watcher saw. The watcher's connection is the one pushed to most often (one push per write; the host's own
    subscriptions rarely change while it streams). Writes whose call or push cannot be found are counted, not
    guessed."""
    calls, pushes = parse_log(lines, path)
    watcher = max(pushes, key=lambda conn: len(pushes[conn]), default=None)
    hops: dict[str, list[float]] = {h: [] for h in HOPS}
    matched = unmatched = negative = 0
    for sent, answered, lo, hi in writes:
        s, a = sent * 1000, answered * 1000
        call = [c for c in calls if s <= c["receivedAt"] <= a]
        seen = [seen_at[i] * 1000 for i in range(lo, hi) if i in seen_at]
        if len(call) != 1 or not seen:
            unmatched += 1
            continue
        c, first_seen = call[0], min(seen)
        push = [p for p in pushes.get(watcher, []) if c["endedAt"] <= p["pushedAt"] <= first_seen]
        if not push:
            unmatched += 1
            continue
        p = push[0]
        matched += 1
        times = (s, c["receivedAt"], c["startedAt"], c["endedAt"], p["refreshedAt"], p["pushedAt"], first_seen)
        n = hi - lo  # each delta of the write took this path
        for h, (t0, t1) in zip(HOPS, pairwise(times), strict=True):
            hops[h].extend([(t1 - t0) / 1000] * n)
            negative += t1 < t0
    # a hop that ends before it starts: the clocks disagree (not one monotonic clock) or a push was misattributed
    return {"writes": matched, "unmatched": unmatched, "negative_hops": negative, "watcher_connection": watcher,
            "hops": {h: summary_ms(v) for h, v in hops.items() if v}}
