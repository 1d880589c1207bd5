"""`bench live`'s verdict on #22's goals, which must all hold in one run: at 200 deltas/s a p50 of at most 45 ms and at
most 62 mutations per 1,000 deltas, and at 10 deltas/s a p50 of at most twice the bare round trip measured back to
back in the same run."""

from __future__ import annotations

from typing import Any

from tools.bench.live import DELTAS_PER_WRITE, goals


def run(rate: float, p50: float, mutations: float, vs_bare: float, per_write: int = DELTAS_PER_WRITE,
        watcher: str = "own process") -> dict[str, Any]:
    return {"rate_per_s": rate, "deltas_per_write": per_write, "watcher": watcher, "steady": {"p50_ms": p50},
            "mutations_per_1000_deltas": mutations, "p50_vs_bare_round_trip": vs_bare}


def test_all_three_goals_are_judged_from_the_same_run() -> None:
    met = goals([run(10, 3.9, 1003, 2.22), run(200, 44.4, 61, 25.5), run(1000, 44.9, 15, 25.8)], 1.74, 3.36)
    assert met == {"p50_200_ms": 44.4, "p50_200_met": True, "mutations_200_per_1000": 61, "mutations_200_met": True,
                   "p50_10_vs_bare": 2.22, "p50_10_met": False, "idle_penalty": 1.93}


def test_the_bounds_themselves_count_as_met() -> None:
    met = goals([run(10, 8.0, 1003, 2.0), run(200, 45.0, 62, 10.0)], 4.0, 5.0)
    assert met is not None
    assert (met["p50_200_met"], met["mutations_200_met"], met["p50_10_met"]) == (True, True, True)
    over = goals([run(10, 8.1, 1003, 2.01), run(200, 45.1, 62.5, 10.0)], 4.0, 5.0)
    assert over is not None
    assert (over["p50_200_met"], over["mutations_200_met"], over["p50_10_met"]) == (False, False, False)


def test_no_verdict_without_both_rates_at_the_default_rule() -> None:
    assert goals([run(200, 44.0, 61, 10.0)], 4.0, 5.0) is None
    assert goals([run(10, 5.0, 1003, 1.2), run(200, 40.0, 70, 9.0, per_write=16)], 4.0, 5.0) is None


def test_a_watcher_in_the_hosts_process_does_not_stand_in_for_another_client() -> None:
    met = goals([run(10, 5.0, 1003, 1.2), run(200, 44.0, 61, 9.0), run(200, 50.0, 61, 9.0, watcher="host's process")],
                4.0, 5.0)
    assert met is not None and met["p50_200_ms"] == 44.0
