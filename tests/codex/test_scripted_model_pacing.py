"""The scripted model streams at the rate it is asked for: benchmarks measure latency against that rate."""

from __future__ import annotations

import itertools
from typing import Any

from codex_convex.scripted_model.script import choose_reply, paced


def asking(text: str) -> dict[str, Any]:
    """A Responses API request body whose last user message is `text`."""
    return {"input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]}


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def test_deltas_at_200_per_second_are_due_every_5_ms_whatever_sending_one_costs() -> None:
    reply = choose_reply(asking("DELTAS 400 200"), 1)
    assert len(reply.deltas) == 400
    clock = FakeClock()
    sent_at = []
    for _ in paced(reply.deltas, now=clock.now, sleep=clock.sleep):
        sent_at.append(clock.t)
        clock.t += 0.0012  # writing the event to the socket takes time
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert all(abs(g - 0.005) < 1e-9 for g in gaps), gaps[:5]
    assert abs(sent_at[-1] - sent_at[0] - 399 * 0.005) < 1e-6  # 200/s, not 1 / (5 ms + 1.2 ms) = 161/s


def test_a_late_delta_goes_at_once_and_the_next_keep_the_schedule() -> None:
    reply = choose_reply(asking("DELTAS 4 100"), 1)
    clock = FakeClock()
    sent_at = []
    for i, _ in enumerate(paced(reply.deltas, now=clock.now, sleep=clock.sleep)):
        sent_at.append(round(clock.t - 100.0, 6))
        clock.t += 0.025 if i == 0 else 0.0  # the first one's sending stalls past the second's due time
    assert sent_at == [0.01, 0.035, 0.035, 0.04]  # the 2nd and 3rd were due at 20 and 30 ms: late, at once
