"""``watch_conversation``: the Python counterpart of upstream's React ``useCodex`` — live snapshots of a
conversation's messages (with streaming text), pending approvals, sync progress and the messages other clients
queued for its host, from two subscriptions (its view, its queued client messages). Optimistic entries (a sent
user message and an assistant placeholder) show at once and give way to the durable rows when those arrive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio

from ..convex_api import Subscriber
from ..host_api import HostSubscriptions
from ..host_api.models import (
    ClientMessage,
    Conversation,
    GetConversationViewFoundNotices,
    GetConversationViewFoundPlan,
    HostPresence,
    Message,
    NotFound,
    ServerRequest,
    SyncJob,
    ThreadGoal,
)

__all__ = ["ConversationSnapshot", "Optimistic", "OptimisticMessage", "SyncProgress", "watch_conversation"]


@dataclass(frozen=True)
class SyncProgress:
    synced_count: int
    total_count: int
    sync_state: str  # syncing | synced | failed | cancelled | unsynced | drifted
    label: str  # e.g. "12/20 synced"


@dataclass(frozen=True)
class OptimisticMessage:
    """A message this host sent (or the reply it awaits) that Convex does not show yet."""

    role: Literal["user", "assistant"]
    text: str
    created_at: float
    status: Literal["pending"] = "pending"
    optimistic: Literal[True] = True


@dataclass(frozen=True)
class ConversationSnapshot:
    messages: list[Message | OptimisticMessage]  # oldest first; optimistic entries last
    pending_requests: list[ServerRequest]
    sync_progress: SyncProgress
    can_send: bool  # False while an import is syncing: sending then could interleave with imported turns
    host: HostPresence | None = None  # the host driving it: online, or gone since last_seen_at (None: never one)
    plan: GetConversationViewFoundPlan | None = None  # the latest turn's plan, as the model last set it (None: none)
    # the newest notices first: Codex's errors (details say whether it retries) and warnings, rebinds
    notices: list[GetConversationViewFoundNotices] = field(default_factory=list)
    goal: ThreadGoal | None = None  # the thread's goal, as Codex last reported it (None: none)
    # messages sent from any client (sendClientMessage) that the host driving the conversation has not taken yet
    queued: list[ClientMessage] = field(default_factory=list)


@dataclass
class Optimistic:
    """Sends not yet seen as durable rows (kept by the host, keyed by conversation)."""

    entries: dict[str, list[OptimisticMessage]] = field(default_factory=dict)
    _added: anyio.Event | None = field(default=None, repr=False)

    def add(self, conversation_id: str, text: str, at_ms: float) -> None:
        self.entries.setdefault(conversation_id, []).extend([
            OptimisticMessage("user", text, at_ms), OptimisticMessage("assistant", "", at_ms)])
        if self._added is not None:
            self._added.set()
            self._added = None

    async def added(self) -> None:
        """Until the next :meth:`add`."""
        if self._added is None:
            self._added = anyio.Event()
        await self._added.wait()

    def reconcile(self, conversation_id: str, durable: list[Message]) -> list[OptimisticMessage]:
        pending = self.entries.get(conversation_id, [])
        if not pending:
            return []
        durable_users = [m for m in durable if m.role == "user"]
        keep: list[OptimisticMessage] = []
        for i in range(0, len(pending), 2):
            user = pending[i]
            # a long durable text comes truncated to its beginning in a view (textTruncated)
            seen = any((m.text == user.text or (m.text_truncated and user.text.startswith(m.text)))
                       and m.created_at >= user.created_at - 5_000 for m in durable_users)
            if not seen:
                keep += pending[i:i + 2]
        self.entries[conversation_id] = keep
        return keep


def _progress(conversation: Conversation, job: SyncJob | None) -> SyncProgress:
    if job is not None:
        return SyncProgress(int(job.processed_records), int(job.total_records), job.public_state, job.label)
    state = conversation.sync_state
    return SyncProgress(0, 0, state, "nothing to sync" if state == "unsynced" else state)


async def watch_conversation(subscriber: Subscriber, conversation_id: str, *, page_size: int = 50,
                             optimistic: Optimistic | None = None) -> AsyncIterator[ConversationSnapshot]:
    """Yield a snapshot whenever the conversation's view (``getConversationView``), the text of its streaming
    messages (``listStreamingMessages``) or its queued client messages (``listQueuedClientMessages``) change, and when
    the host adds an optimistic send. The view carries a streaming message without its text, so it does not re-run at
    every delta; only the streaming text's subscription does. The three are watched together, with one wait on the
    client for each update (``HostSubscriptions.together``). As a message ends, the text's query may drop it a moment
    before the view shows it ended (two commits): it keeps the text it last had meanwhile (never blank). Ends if the
    conversation disappears (deleted)."""
    subs = HostSubscriptions(subscriber)
    results = subs.together(subs.get_conversation_view(conversation_id=conversation_id, num_messages=page_size),
                            subs.list_streaming_messages(conversation_id=conversation_id),
                            subs.list_queued_client_messages(conversation_id=conversation_id))
    texts: LiveTexts = {}
    async for view, live, queued in _with_adds(results, optimistic):
        if isinstance(view, NotFound):
            return
        texts = live_texts(view.messages, live, texts)
        durable = [_with_live_text(m, texts.get((m.turn_id, m.item_id))) for m in reversed(view.messages)]
        extra = optimistic.reconcile(conversation_id, durable) if optimistic else []
        progress = _progress(view.conversation, view.latest_job)
        yield ConversationSnapshot([*durable, *extra], view.pending_requests, progress,
                                   can_send=progress.sync_state != "syncing", host=view.host, plan=view.plan,
                                   notices=view.notices, goal=view.goal, queued=queued)


LiveTexts = dict[tuple[str, str], Any]  # (turn id, item id) → its live text (a listStreamingMessages entry)


def live_texts(messages: list[Message], live: list[Any], before: LiveTexts) -> LiveTexts:
    """The live text of each message the view shows streaming: from ``listStreamingMessages``, or, for one it no longer
    lists (it just ended: the view's next result carries its final text and status), the text it had before."""
    fresh = {(s.turn_id, s.item_id): s for s in live}
    keys = [(m.turn_id, m.item_id) for m in messages if m.status == "streaming"]
    return {k: t for k in keys if (t := fresh.get(k, before.get(k))) is not None}


def _with_live_text(m: Message, live: Any) -> Message:
    """A streaming message with its live text (the first page of its segments; the view carries it without)."""
    if m.status != "streaming" or live is None:
        return m
    return m.model_copy(update={"text": live.text, "text_truncated": live.next_segment is not None})


_MISSING = object()


async def _with_adds(source: AsyncIterator[Any], optimistic: Optimistic | None) -> AsyncIterator[Any]:
    """Each value of `source`, and its latest again when an optimistic entry is added, so that a send shows at once
    (the first write that changes the view may already carry the durable message). The source's wait for its next
    value goes on across the adds (cancelling it would drop the client's subscriptions); its end ends this."""
    if optimistic is None:
        async for value in source:
            yield value
        return
    coming = asyncio.ensure_future(anext(source))
    latest: Any = _MISSING
    try:
        while True:
            added = asyncio.ensure_future(optimistic.added())
            try:
                await asyncio.wait({coming, added}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                added.cancel()
            if coming.done():
                try:
                    latest = coming.result()
                except StopAsyncIteration:
                    return
                coming = asyncio.ensure_future(anext(source))
            if latest is not _MISSING:
                yield latest
    finally:
        coming.cancel()
        await asyncio.wait({coming})
        if isinstance(source, AsyncGenerator):
            await source.aclose()
