"""``watch_conversation``: the Python counterpart of upstream's React ``useCodex`` — live snapshots of a
conversation's messages (with streaming text), pending approvals and sync progress, from three subscriptions.
Optimistic entries (a sent user message and an assistant placeholder) show at once and give way to the
durable rows when those arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ..convex_api import Subscriber


@dataclass(frozen=True)
class SyncProgress:
    synced_count: int
    total_count: int
    sync_state: str  # syncing | synced | failed | cancelled | unsynced | drifted
    label: str  # e.g. "12/20 synced"


@dataclass(frozen=True)
class ConversationSnapshot:
    messages: list[dict[str, Any]]  # oldest first; optimistic entries carry "optimistic": True
    pending_requests: list[dict[str, Any]]
    sync_progress: SyncProgress
    can_send: bool  # False while an import is syncing: sending then could interleave with imported turns


@dataclass
class Optimistic:
    """Sends not yet seen as durable rows (kept by the host, keyed by conversation)."""

    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, conversation_id: str, text: str, at_ms: float) -> None:
        self.entries.setdefault(conversation_id, []).extend([
            {"role": "user", "text": text, "status": "pending", "optimistic": True, "createdAt": at_ms},
            {"role": "assistant", "text": "", "status": "pending", "optimistic": True, "createdAt": at_ms},
        ])

    def reconcile(self, conversation_id: str, durable: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pending = self.entries.get(conversation_id, [])
        if not pending:
            return []
        durable_users = [m for m in durable if m.get("role") == "user"]
        keep: list[dict[str, Any]] = []
        for i in range(0, len(pending), 2):
            user = pending[i]
            # a long durable text comes truncated to its beginning in a view (textTruncated)
            seen = any((m["text"] == user["text"] or (m.get("textTruncated") and user["text"].startswith(m["text"])))
                       and m["createdAt"] >= user["createdAt"] - 5_000 for m in durable_users)
            if not seen:
                keep += pending[i:i + 2]
        self.entries[conversation_id] = keep
        return keep


def _progress(conversation: dict[str, Any], job: dict[str, Any] | None) -> SyncProgress:
    if job is not None:
        return SyncProgress(int(job["processedRecords"]), int(job["totalRecords"]), job["publicState"], job["label"])
    state = conversation["syncState"]
    return SyncProgress(0, 0, state, "nothing to sync" if state == "unsynced" else state)


async def watch_conversation(subscriber: Subscriber, conversation_id: str, *, page_size: int = 50,
                             optimistic: Optimistic | None = None) -> AsyncIterator[ConversationSnapshot]:
    """Yield a snapshot whenever the conversation's view changes (one subscription to
    ``getConversationView``). Ends if the conversation disappears (deleted)."""
    async for view in subscriber.watch("chat:getConversationView",
                                       {"conversationId": conversation_id, "numMessages": page_size}):
        if not view["found"]:
            return
        durable = list(reversed(view["messages"]))
        extra = optimistic.reconcile(conversation_id, durable) if optimistic else []
        progress = _progress(view["conversation"], view["latestJob"])
        yield ConversationSnapshot(durable + extra, view["pendingRequests"], progress,
                                   can_send=progress.sync_state != "syncing")
