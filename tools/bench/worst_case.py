"""Worst-case datasets for every endpoint: every transaction stays bounded, whatever the data (issue #16).

    python -m tools.bench.worst_case [--scale small|full] [--read-limits convex|legacy]

Fills a fresh local backend (Convex's limits enforced; `legacy`: the 8 MiB / 16,384-document reads of older
builds) with the worst shapes a user can produce — one turn of 80 × 240 KB command outputs, a 50 MB agent message,
10,000 turns in a thread (its first 30 at the largest a turn row gets: own JSON, error and plan at their bounds, in
3-byte characters), 1,000 pending requests in a thread, 20 sub-agents of one thread with 100 pending requests
each, 40 × 512 KiB chunks in one source, 5,000
conversations, 200 sync jobs in one conversation (`small`: the same shapes, smaller) — then calls every public
endpoint of the contract (enumerated from it: a new endpoint without a call here fails the run) with ordinary
arguments, and reads the backend's per-call metrics (`GET /api/metrics`). Each call must succeed, and its worst call
must stay within half of every Convex limit. Prints the worst call per endpoint as a table; writes
`tools/bench/results/worst_case-<scale>-<limits>.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.convex_api import ConvexHttp
from codex_convex.events import goal_event, item_events
from codex_convex.host_api import ENDPOINTS, HostApi
from codex_convex.host_api.limits import (
    CLIENT_MESSAGE_MAX_CHARS,
    GOAL_OBJECTIVE_MAX_CHARS,
    LIVE_PAGE_SEGMENTS,
    MAX_QUEUED_CLIENT_MESSAGES,
    PLAN_EXPLANATION_MAX_CHARS,
    PLAN_MAX_STEPS,
    PLAN_STEP_MAX_CHARS,
    SEGMENT_MAX_CHARS,
    STREAMING_MESSAGES_MAX,
    TURN_ERROR_MAX_CHARS,
    TURN_JSON_MAX_CHARS,
)
from codex_convex.sync import root_hash

from ._common import write

MiB = 1024 * 1024
LIMITS = {"bytesRead": 16 * MiB, "documentsRead": 32_000, "bytesWritten": 16 * MiB, "documentsWritten": 16_000,
          "databaseQueries": 4_096}
LEGACY = {**LIMITS, "bytesRead": 8 * MiB, "documentsRead": 16_384}

SCALES: dict[str, dict[str, int]] = {
    "full": {"outputs": 80, "output_bytes": 240_000, "message_bytes": 50_000_000, "turns": 10_000, "pending": 1_000,
             "agents": 20, "chunks": 40, "conversations": 5_000, "jobs": 200},
    "small": {"outputs": 40, "output_bytes": 240_000, "message_bytes": 3_000_000, "turns": 1_000, "pending": 300,
              "agents": 20, "chunks": 12, "conversations": 300, "jobs": 20},
}
AT = 1_700_000_000_000.0
PAGE = {"numItems": 100, "cursor": None}


@dataclass
class World:
    """Ids of the dataset, for the endpoint calls."""

    api: HostApi
    ids: dict[str, str] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)
    later: dict[str, Any] = field(default_factory=dict)

    async def conversation(self, name: str, thread_id: str | None = None) -> str:
        thread_id = thread_id or f"{name}-{uuid.uuid4()}"
        conv = (await self.api.sync_open_conversation_binding(thread_id=thread_id)).conversation
        self.ids[f"{name}.conversation"], self.ids[f"{name}.thread"] = conv.conversation_id, thread_id
        return conv.conversation_id

    async def ingest(self, name: str, events: list[dict[str, Any]], max_bytes: int = 3 * MiB) -> None:
        """Send events in batches of ≤ 256 events and ≤ max_bytes, in order."""
        batch: list[dict[str, Any]] = []
        size = 0
        for ev in [*events, None]:
            n = len(json.dumps(ev)) if ev is not None else 0
            if batch and (ev is None or len(batch) >= 256 or size + n > max_bytes):
                seq = self.seqs.get(name, 0)
                r = await self.api.ingest_events(conversation_id=self.ids[f"{name}.conversation"], stream_id="wc",
                                                 seq=seq, events=batch)
                assert r.status == "accepted", r
                self.seqs[name] = seq + len(batch)
                batch, size = [], 0
            if ev is not None:
                batch.append(ev)
                size += n


def chunk(thread: str, i: int) -> dict[str, Any]:
    """Chunk `i` of the big source: one 510 KiB record (its payload, hash and count, as append takes them)."""
    record = {"type": "lifecycle", "threadId": thread, "kind": "note", "message": f"{i}".ljust(510 * 1024, "z"),
              "at": AT}
    payload = json.dumps([record], separators=(",", ":"))
    return {"payload": payload, "sha256": hashlib.sha256(payload.encode()).hexdigest(), "record_count": 1}


WIDE = "€"  # one UTF-16 code unit, three bytes of UTF-8: the most a character can weigh per unit of the limits


def largest_turn(thread: str, turn_id: str) -> list[dict[str, Any]]:
    """A failed turn whose row is as large as the component lets it be: its own JSON, each field of its error and
    its plan (steps and explanation) at their bounds, in 3-byte characters."""
    head = json.dumps({"id": turn_id, "status": "failed", "error": {"message": ""}}, ensure_ascii=False)
    own = head[:-3] + WIDE * (TURN_JSON_MAX_CHARS - len(head)) + head[-3:]
    error = {"message": WIDE * TURN_ERROR_MAX_CHARS, "codexErrorInfo": WIDE * TURN_ERROR_MAX_CHARS,
             "detailsJson": WIDE * TURN_ERROR_MAX_CHARS}
    plan = {"type": "turnPlan", "threadId": thread, "turnId": turn_id, "explanation": WIDE * PLAN_EXPLANATION_MAX_CHARS,
            "steps": [{"step": WIDE * PLAN_STEP_MAX_CHARS, "status": "pending"}] * PLAN_MAX_STEPS, "truncated": False,
            "at": AT}
    return [{"type": "turnStarted", "threadId": thread, "turnId": turn_id, "json": own, "at": AT}, plan,
            {"type": "turnCompleted", "threadId": thread, "turnId": turn_id, "status": "failed", "error": error,
             "json": own, "at": AT}]


def turn(thread: str, turn_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"type": "turnStarted", "threadId": thread, "turnId": turn_id, "at": AT}]
    for it in items:
        out += [e.wire() for e in item_events(thread, turn_id, it, "completed", AT)]
    out.append({"type": "turnCompleted", "threadId": thread, "turnId": turn_id, "status": "completed", "at": AT})
    return out


async def fill(w: World, scale: dict[str, int], log: Callable[[str], None]) -> None:
    api = w.api
    # One turn of big command outputs (a build log read back page by page).
    await w.conversation("outputs")
    th = w.ids["outputs.thread"]
    outputs = [{"type": "commandExecution", "id": f"c{i}", "command": f"make part{i}", "status": "completed",
                "aggregatedOutput": f"{i}:".ljust(scale["output_bytes"], "x")} for i in range(scale["outputs"])]
    await w.ingest("outputs", turn(th, "t-outputs", outputs))
    # One huge agent message (its own turn, same thread): the large-item path.
    big = {"type": "agentMessage", "id": "big", "text": "y" * scale["message_bytes"]}
    await w.ingest("outputs", turn(th, "t-big", [big]))
    # Its goal at the objective's bound, in 3-byte characters (the view reads the thread's row).
    await w.ingest("outputs", [goal_event(th, {"objective": "é€" * (GOAL_OBJECTIVE_MAX_CHARS // 2), "status": "active",
                                              "tokenBudget": None, "tokensUsed": 1, "timeUsedSeconds": 1,
                                              "createdAt": 1, "updatedAt": 1}, AT).wire()])
    log("outputs, the large message and a goal")
    # Answers streaming at once, one more than a listStreamingMessages answer carries, each past its first page of
    # segments in 3-byte characters: the most that subscription reads.
    await w.conversation("streaming")
    th = w.ids["streaming.thread"]
    live: list[dict[str, Any]] = [{"type": "turnStarted", "threadId": th, "turnId": "t-live", "at": AT}]
    for m in range(STREAMING_MESSAGES_MAX + 1):
        live += [e.wire() for e in item_events(th, "t-live", {"type": "agentMessage", "id": f"s{m}", "text": ""},
                                               "started", AT)]
        live += [{"type": "messageDelta", "threadId": th, "turnId": "t-live", "itemId": f"s{m}", "firstDelta": d,
                  "deltaCount": 1, "text": "€" * SEGMENT_MAX_CHARS, "at": AT} for d in range(LIVE_PAGE_SEGMENTS + 1)]
    await w.ingest("streaming", live)
    log("streaming answers")
    # A thread of many turns, with token usage and a lifecycle event per 100.
    await w.conversation("long")
    th = w.ids["long.thread"]
    events: list[dict[str, Any]] = []
    for i in range(scale["turns"]):
        if i < 30:  # the first page of listTurns: rows at their largest
            events += largest_turn(th, f"t{i}")
            continue
        user = {"type": "userMessage", "id": f"u{i}", "content": [{"type": "text", "text": f"q{i}"}]}
        events += turn(th, f"t{i}", [user, {"type": "agentMessage", "id": f"a{i}", "text": f"answer {i}"}])
        if i % 100 == 0:
            events.append({"type": "tokenUsage", "threadId": th, "turnId": f"t{i}", "totalTokens": i, "inputTokens": i,
                           "cachedInputTokens": 0, "outputTokens": 0, "reasoningOutputTokens": 0,
                           "lastTotalTokens": 1, "at": AT})
    await w.ingest("long", events)
    log(f"{scale['turns']} turns")
    # Pending approvals in one thread.
    await w.conversation("pending")
    th = w.ids["pending.thread"]
    events = [{"type": "turnStarted", "threadId": th, "turnId": "t1", "at": AT}]
    events += [{"type": "serverRequest", "threadId": th, "turnId": "t1", "requestId": str(i),
                "method": "item/commandExecution/requestApproval",
                "paramsJson": json.dumps({"command": f"rm build/{i}" + " --verbose" * 50}), "at": AT}
               for i in range(scale["pending"])]
    await w.ingest("pending", events)
    log(f"{scale['pending']} pending requests")
    # A thread with none of its own but many sub-agents, each with pending requests (listed with the parent's).
    await w.conversation("agents")
    parent = w.ids["agents.thread"]
    await w.ingest("agents", [{"type": "threadMeta", "threadId": parent, "at": AT}])
    for a in range(scale["agents"]):
        name = f"agent{a}"
        await w.conversation(name)
        th = w.ids[f"{name}.thread"]
        events = [{"type": "threadMeta", "threadId": th, "parentThreadId": parent, "at": AT},
                  {"type": "turnStarted", "threadId": th, "turnId": "t1", "at": AT}]
        events += [{"type": "serverRequest", "threadId": th, "turnId": "t1", "requestId": str(i),
                    "method": "item/commandExecution/requestApproval",
                    "paramsJson": json.dumps({"command": f"rm build/{i}" + " --verbose" * 50}), "at": AT}
                   for i in range(scale["pending"] // 10)]
        await w.ingest(name, events)
    log(f"{scale['agents']} sub-agents with {scale['pending'] // 10} pending requests each")
    # A conversation with a live host and its queue of client messages one short of full, each at its bound in 3-byte
    # characters (the host's subscription reads them all; sendClientMessage counts them).
    session = await api.open_host_session(host_id="worst-case-queue", label="bench", version="0")
    conv = (await api.sync_open_conversation_binding(thread_id=f"queue-{uuid.uuid4()}",
                                                     host_session_id=session.session_id)).conversation
    w.ids["queue.conversation"] = conv.conversation_id
    for _ in range(MAX_QUEUED_CLIENT_MESSAGES - 1):
        await api.send_client_message(conversation_id=conv.conversation_id, text="€" * CLIENT_MESSAGE_MAX_CHARS)
    log(f"{MAX_QUEUED_CLIENT_MESSAGES - 1} queued client messages")
    # A source of many 512 KiB chunks (unsealed).
    await w.conversation("chunks")
    src = (await api.start_conversation_sync_source(thread_id=w.ids["chunks.thread"], idempotency_key="wc-chunks"))
    w.ids["chunks.source"] = src.source.source_id
    for i in range(scale["chunks"]):
        await api.append_conversation_sync_source_chunk(source_id=w.ids["chunks.source"], chunk_index=i,
                                                        **chunk(w.ids["chunks.thread"], i))
    log(f"{scale['chunks']} chunks of 510 KiB")
    # Many sync jobs in one conversation (each new import cancels the one before).
    await w.conversation("jobs")
    for i in range(scale["jobs"]):
        payload = json.dumps([{"type": "threadMeta", "threadId": w.ids["jobs.thread"], "name": f"run {i}", "at": AT}],
                             separators=(",", ":"))
        sha = hashlib.sha256(payload.encode()).hexdigest()
        s = (await api.start_conversation_sync_source(thread_id=w.ids["jobs.thread"], idempotency_key=f"wc-job-{i}"))
        sid = s.source.source_id
        await api.append_conversation_sync_source_chunk(source_id=sid, chunk_index=0, payload=payload, sha256=sha,
                                                        record_count=1)
        root = root_hash([sha])
        sealed = await api.seal_conversation_sync_source(source_id=sid, total_chunks=1, total_records=1,
                                                         total_bytes=len(payload.encode()), root_hash=root)
        w.ids["jobs.job"] = sealed.job_id
    log(f"{scale['jobs']} sync jobs")
    # Many conversations.
    async with anyio.create_task_group() as tg:
        limiter = anyio.Semaphore(8)

        async def one(i: int) -> None:
            async with limiter:
                await api.new_conversation(title=f"conversation {i}")

        for i in range(scale["conversations"]):
            tg.start_soon(one, i)
    w.ids["spare.conversation"] = (await api.new_conversation(title="spare")).conversation_id
    await w.conversation("victim")  # a small thread deleted for real
    await w.ingest("victim", turn(w.ids["victim.thread"], "t1", [{"type": "agentMessage", "id": "m", "text": "bye"}]))
    log(f"{scale['conversations']} conversations")


Call = Callable[[World], dict[str, Any] | Awaitable[dict[str, Any]]]


async def seal_new(w: World) -> dict[str, Any]:
    """Arguments to seal the source startConversationSyncSource just opened, after giving it one chunk."""
    payload = json.dumps([{"type": "threadMeta", "threadId": w.ids["jobs.thread"], "name": "x", "at": AT}])
    sha = hashlib.sha256(payload.encode()).hexdigest()
    await w.api.append_conversation_sync_source_chunk(source_id=w.later["source"], chunk_index=0, payload=payload,
                                                      sha256=sha, record_count=1)
    return {"sourceId": w.later["source"], "totalChunks": 1, "totalRecords": 1, "totalBytes": len(payload.encode()),
            "rootHash": root_hash([sha])}


def calls() -> dict[str, Call]:
    """Ordinary arguments for every endpoint, in the order they run (destructive ones last)."""
    hour = 3_600_000

    def conv(name: str) -> Call:
        return lambda w: {"conversationId": w.ids[f"{name}.conversation"]}

    def item(name: str, turn_id: str, item_id: str) -> Call:
        return lambda w: {"threadId": w.ids[f"{name}.thread"], "turnId": turn_id, "itemId": item_id}

    return {
        "validateHostWiring": conv("long"),
        "listConversations": lambda w: {"paginationOpts": PAGE},
        "getConversation": conv("long"),
        "getConversationSummary": conv("pending"),
        "listConversationForks": conv("long"),
        "listConversationAgents": conv("agents"),
        "getInterruptRequest": conv("long"),
        "listQueuedClientMessages": conv("queue"),
        "listThreadsForConversation": conv("long"),
        "getConversationView": lambda w: {"conversationId": w.ids["outputs.conversation"], "numMessages": 100},
        "listMessages": lambda w: {"conversationId": w.ids["outputs.conversation"], "paginationOpts": PAGE},
        "getMessageText": item("outputs", "t-big", "big"),
        "getMessageSegments": item("outputs", "t-big", "big"),
        "listStreamingMessages": conv("streaming"),
        "getTurn": lambda w: {"threadId": w.ids["outputs.thread"], "turnId": "t-outputs"},
        "getItemJson": item("outputs", "t-big", "big"),
        "listTurns": lambda w: {"threadId": w.ids["long.thread"], "paginationOpts": PAGE},
        "getThreadJson": lambda w: {"threadId": w.ids["long.thread"]},
        "getThreadSyncState": lambda w: {"threadId": w.ids["long.thread"], "atTurns": 1},
        "listPendingServerRequests": conv("agents"),  # its sub-agents' (its own alone: at most a page, as theirs)
        "getServerRequest": lambda w: {"threadId": w.ids["pending.thread"], "turnId": "t1", "requestId": "7"},
        "getTokenUsage": conv("long"),
        "listConversationSyncSourceChunks": lambda w: {"sourceId": w.ids["chunks.source"]},
        "getConversationSyncJob": conv("jobs"),
        "listConversationSyncJobs": lambda w: {"conversationId": w.ids["jobs.conversation"], "paginationOpts": PAGE},
        "previewDeletion": lambda w: {},
        "listConversationSyncSources": lambda w: {"paginationOpts": PAGE},
        "listDeletionJobs": lambda w: {"paginationOpts": PAGE},
        "openHostSession": lambda w: {"hostId": "worst-case-host", "label": "bench", "version": "0"},
        "heartbeatHostSession": lambda w: {"sessionId": w.later["session"]},
        "closeHostSession": lambda w: {"sessionId": w.later["session"]},
        "newConversation": lambda w: {"title": "one more"},
        "requestInterrupt": conv("long"),
        "requestGoalResume": conv("long"),
        "requestGoal": lambda w: {"conversationId": w.ids["long.conversation"],
                                  "objective": WIDE * GOAL_OBJECTIVE_MAX_CHARS},
        "markInterruptHandled": lambda w: {"requestId": w.later["interrupt"], "outcome": "idle"},
        "sendClientMessage": lambda w: {"conversationId": w.ids["queue.conversation"],
                                        "text": "€" * CLIENT_MESSAGE_MAX_CHARS},
        "getClientMessage": lambda w: {"messageId": w.later["message"]},
        "takeClientMessage": lambda w: {"messageId": w.later["message"]},
        "markClientMessageHandled": lambda w: {"messageId": w.later["message"], "state": "failed",
                                               "error": "é" * TURN_ERROR_MAX_CHARS},
        "syncOpenConversationBinding": lambda w: {"threadId": f"fresh-{uuid.uuid4()}"},
        "markConversationSyncProgress": lambda w: {"conversationId": w.ids["long.conversation"], "syncState": "synced"},
        "ingestEvents": lambda w: {
            "conversationId": w.ids["long.conversation"], "streamId": "wc", "seq": w.seqs["long"],
            "events": turn(w.ids["long.thread"], "t-new", [{"type": "agentMessage", "id": "n", "text": "new"}])},
        "respondServerRequest": lambda w: {"threadId": w.ids["pending.thread"], "turnId": "t1", "requestId": "3",
                                           "decision": "accept"},
        "startConversationSyncSource": lambda w: {"threadId": w.ids["jobs.thread"], "idempotencyKey": "wc-new"},
        "appendConversationSyncSourceChunk": lambda w: {  # chunk 0 again: a re-send is a no-op
            "sourceId": w.ids["chunks.source"], "chunkIndex": 0,
            **{("recordCount" if k == "record_count" else k): v for k, v in chunk(w.ids["chunks.thread"], 0).items()}},
        "sealConversationSyncSource": seal_new,
        "cancelConversationSyncJob": lambda w: {"jobId": w.later["job"]},
        "archiveConversation": conv("spare"),
        "unarchiveConversation": conv("spare"),
        "forceRebindConversationSync": lambda w: {"conversationId": w.ids["spare.conversation"],
                                                  "threadId": f"rebound-{uuid.uuid4()}"},
        "scheduleDeleteThread": lambda w: {"threadId": w.ids["long.thread"], "delayMs": hour},
        "cancelDeletion": lambda w: {"jobId": w.later["deletion"]},
        "scheduleDeleteTurn": lambda w: {"threadId": w.ids["long.thread"], "turnId": "t5", "delayMs": hour},
        "forceRunDeletion": lambda w: {"jobId": w.later["deletion"]},
        "getDeletionStatus": lambda w: {"jobId": w.later["deletion"]},
        "deleteTurn": lambda w: {"threadId": w.ids["long.thread"], "turnId": "t7"},
        "deleteThread": lambda w: {"threadId": w.ids["victim.thread"]},
        "schedulePurgeActorData": lambda w: {"delayMs": hour},
        "purgeActorData": lambda w: {},
    }


async def remember(name: str, result: Any, w: World) -> None:
    """Keep what later calls need from a call's result."""
    if name == "openHostSession":
        w.later["session"] = result["sessionId"]
    elif name == "startConversationSyncSource":
        w.later["source"] = result["source"]["sourceId"]
    elif name == "requestInterrupt":
        w.later["interrupt"] = result["requestId"]
    elif name == "sendClientMessage":
        w.later["message"] = result["messageId"]
    elif name == "sealConversationSyncSource":
        w.later["job"] = result["jobId"]
    elif name in ("scheduleDeleteThread", "scheduleDeleteTurn"):
        w.later["deletion"] = result["jobId"]
    elif name == "schedulePurgeActorData":
        await w.api.cancel_deletion(job_id=result["jobId"])


async def run(scale_name: str, read_limits: str, log: Callable[[str], None] = print) -> dict[str, Any]:
    scale = SCALES[scale_name]
    limits = LEGACY if read_limits == "legacy" else LIMITS
    plan = calls()
    missing = set(ENDPOINTS) - set(plan)
    assert not missing, f"endpoints of the contract without a worst-case call: {sorted(missing)}"
    with tempfile.TemporaryDirectory(prefix="worst-case-") as tmp:
        data = Path(tmp)
        # Job steps run 3 s late, so a just-sealed job is still live when it is cancelled.
        with LocalBackend(data, read_limits=read_limits, scheduler_lag_ms=(3000, 3000)) as backend:
            admin = {"Authorization": f"Convex {(data / 'admin-key').read_text().strip()}"}
            async with ConvexHttp(backend.url, token=lambda: mint_dev_token(data, "worst"), timeout_s=300) as http:
                w = World(HostApi(http))
                started = time.perf_counter()
                await fill(w, scale, lambda what: log(f"  filled: {what} ({time.perf_counter() - started:.0f} s)"))
                async with httpx.AsyncClient(timeout=60) as c:
                    (await c.post(f"{backend.url}/api/metrics/reset", headers=admin)).raise_for_status()
                failures: dict[str, str] = {}
                for name, args_of in plan.items():
                    got = args_of(w)
                    args = await got if inspect.isawaitable(got) else got
                    try:
                        call = w.api.http.query if ENDPOINTS[name] == "query" else w.api.http.mutation
                        result = await call(f"chat:{name}", args)  # the wire JSON: `remember` reads it raw
                        await remember(name, result, w)
                    except Exception as exc:  # a refused call is the finding: report it, keep going
                        failures[name] = f"{type(exc).__name__}: {exc}"[:300]
                async with httpx.AsyncClient(timeout=60) as c:
                    by_path = (await c.get(f"{backend.url}/api/metrics", headers=admin)).json()["byPath"]
    rows = []
    for name in plan:
        m = by_path.get(f"chat:{name}", {}).get("max")
        worst = max((m[k] / limits[k] for k in limits), default=0.0) if m else None
        rows.append({"endpoint": name, "ok": name not in failures, "error": failures.get(name), "metrics": m,
                     "worstFractionOfLimit": None if worst is None else round(worst, 4)})
    return {"scale": scale_name, "readLimits": read_limits, "shape": scale, "limits": limits, "endpoints": rows}


def table(report: dict[str, Any]) -> str:
    head = ("| endpoint | ok | bytes read | docs read | bytes written | docs written | index ranges | worst / limit |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for r in report["endpoints"]:
        m = r["metrics"] or {}
        lines.append(f"| `{r['endpoint']}` | {'✓' if r['ok'] else '✗ ' + (r['error'] or '')[:60]} "
                     f"| {m.get('bytesRead', 0) / MiB:.2f} MiB | {m.get('documentsRead', 0):,} "
                     f"| {m.get('bytesWritten', 0) / MiB:.2f} MiB | {m.get('documentsWritten', 0):,} "
                     f"| {m.get('databaseQueries', 0):,} | {r['worstFractionOfLimit']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--read-limits", choices=["convex", "legacy"], default="convex")
    args = parser.parse_args()
    report = anyio.run(run, args.scale, args.read_limits)
    path = write(f"worst_case-{args.scale}-{args.read_limits}", report)
    print(table(report))
    bad = [r["endpoint"] for r in report["endpoints"]
           if not r["ok"] or r["worstFractionOfLimit"] is None or r["worstFractionOfLimit"] > 0.5]
    verdict = (f"✗ over half a limit or failed: {', '.join(bad)}" if bad
               else "✓ every endpoint within half of every limit")
    print(f"\n{verdict} ({path})")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
