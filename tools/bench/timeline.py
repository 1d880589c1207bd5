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


def hops_line(t: dict[str, Any]) -> str:
    """A timeline's hops, p50 each, as one line of text: "to backend 0.5, before run 0.3, …"."""
    return ", ".join(f"{h.replace('_', ' ')} {v['p50_ms']}" for h, v in t["hops"].items())


# A call's own work on the backend, and the hops around it that a call of any kind takes (the transports, the
# backend's loop, the watcher's client).
WORK = ("mutation", "view_rerun")
AROUND = ("to_backend", "before_run", "queued", "to_watcher")


def paced_bound(host_ms: float, back_to_back: dict[str, Any], paced: dict[str, Any], factor: float) -> dict[str, Any]:
    """Whether a stream writing once per delta (each write paced, as at 10 deltas/s) could have its p50 within
    `factor`x the back-to-back bare round trip with the backend's work for a call made faster, from the bare round
    trip's own hops (`delta_timeline` of the bare round trip, back to back and paced as the stream's writes are) and
    the host's wait before a write.

    The stream's p50 is about `host_ms` + the paced hops around the call + the paced work; the bare round trip's,
    back to back, the same hops and work warm. With the work scaled by s (taking s times what it takes now, from
    0: free, to 1: as now, for both paths alike, taking the stream's work to cost what a trivial call's does: a lower
    bound), the condition host + around_p + s * work_p <= factor * (around_b + s * work_b) is linear in s: it holds
    for some s in [0, 1] iff at an end. Sums of per-hop p50s, not the p50 of sums: an estimate."""
    def total(split: dict[str, Any], hops: tuple[str, ...]) -> float:
        return sum(float(split["hops"][h]["p50_ms"]) for h in hops)

    around_p, work_p = total(paced, AROUND), total(paced, WORK)
    around_b, work_b = total(back_to_back, AROUND), total(back_to_back, WORK)
    slack = {s: round(factor * (around_b + s * work_b) - (host_ms + around_p + s * work_p), 3) for s in (0.0, 1.0)}
    return {"around_paced_ms": round(around_p, 3), "around_back_to_back_ms": round(around_b, 3),
            "work_paced_ms": round(work_p, 3), "work_back_to_back_ms": round(work_b, 3),
            "around_idle_penalty": round(around_p / around_b, 2) if around_b else None,
            "slack_ms_backend_free": slack[0.0], "slack_ms_backend_as_now": slack[1.0],
            "reachable_by_backend_speed": max(slack.values()) >= 0}
