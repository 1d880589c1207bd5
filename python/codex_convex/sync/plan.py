"""What a sync of one thread must send, from what the server says it holds (``getThreadSyncState``).

The server keeps, per thread, how many leading turns were imported with digests and the chain over them (the
prefix hash; ``records.chain`` computes the same). Comparing chains:

- the thread is not there: **new**, everything is sent;
- the server's whole chain is a prefix of the local one: **appended** — only the turns after it are sent (with
  nothing new, the thread's own JSON and its goal unchanged: **up to date**, nothing is sent at all);
- the chains part at turn ``k`` (a rollback, a rewritten turn): **replaced** — the longest common prefix is found
  by bisection (``atTurns``), the server removes the turns after ``k`` and the local ones from ``k`` are sent;
- the server holds turns without a chain (replicated live, or imported before digests existed): **replaced**,
  every turn is sent again over the rows that are there, and any beyond the local thread's end are removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..events import thread_json
from ..host_api import HostApi
from ..host_api.models import IngestEventThreadGoal, NotFound, SyncBase, ThreadGoal
from .records import chain, digests

Kind = Literal["new", "up_to_date", "appended", "replaced"]

__all__ = ["Kind", "SyncPlan", "plan_sync"]


@dataclass(frozen=True)
class SyncPlan:
    kind: Kind
    from_turn: int  # the first turn sent
    base: SyncBase | None  # what the server keeps (None: a new thread)
    conversation_id: str | None  # the thread's conversation, when the server has it
    turn_digests: list[str | None]  # each turn's digest (records.digests), computed once for the whole sync


def _json_sha(thread: dict[str, Any]) -> str:
    parts = thread_json(thread, 0.0)
    return parts[0].sha256


def _dump(goal: ThreadGoal | None) -> dict[str, Any] | None:
    return None if goal is None else goal.model_dump(mode="json")


async def plan_sync(api: HostApi, thread: dict[str, Any], goal: IngestEventThreadGoal | None = None) -> SyncPlan:
    """What to send of ``thread``; ``goal`` (its goal record, when read): the thread is not up to date while the
    server holds another goal."""
    thread_id = str(thread["id"])
    turns: list[dict[str, Any]] = list(thread.get("turns") or [])
    ds = digests(turns)
    local = chain(turns, ds)  # local[k]: the prefix hash after k finished turns
    state = await api.get_thread_sync_state(thread_id=thread_id)
    if isinstance(state, NotFound) or (state.turn_count == 0 and state.synced_turns == 0):
        conv = None if isinstance(state, NotFound) else state.conversation_id
        return SyncPlan("new", 0, None if conv is None else SyncBase(keep_turns=0, prefix_hash=""), conv, ds)
    held = int(state.synced_turns)
    if held == 0:  # turns without a chain: send them all again over what is there
        return SyncPlan("replaced", 0, SyncBase(keep_turns=len(turns)), state.conversation_id, ds)
    if held < len(local) and local[held] == state.prefix_hash:
        k = held
    else:  # the chains part: bisect for the longest common prefix (k = 0 always matches: "")
        lo, hi = 0, min(held, len(local) - 1)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            at = await api.get_thread_sync_state(thread_id=thread_id, at_turns=mid)
            if not isinstance(at, NotFound) and at.chain_at == local[mid]:
                lo = mid
            else:
                hi = mid - 1
        k = lo
    base = SyncBase(keep_turns=k, prefix_hash=local[k])
    if k < held:
        return SyncPlan("replaced", k, base, state.conversation_id, ds)
    done = k == len(turns) and int(state.turn_count) == k
    same_goal = goal is None or _dump(goal.goal) == _dump(state.goal)
    if done and same_goal and state.json_sha256 == _json_sha(thread):
        return SyncPlan("up_to_date", k, base, state.conversation_id, ds)
    return SyncPlan("appended", k, base, state.conversation_id, ds)
