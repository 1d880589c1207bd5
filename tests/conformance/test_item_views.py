"""The host's reading of a large item as a message (python/codex_convex/events/item_view.py) agrees with the
server's (convex/component/itemMessages.ts): the same items ingested both ways read back as the same messages."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from codex_convex.convex_api import ConvexHttp
from codex_convex.events import view_events
from codex_convex.host_api import HostApi
from tests.conftest import Deployment
from tests.support import persisted_messages

pytestmark = pytest.mark.anyio

ITEMS: list[tuple[dict[str, Any], str]] = [
    ({"type": "userMessage", "content": [{"type": "text", "text": "hi"}, {"type": "image"},
                                         {"type": "text", "text": "there"}]}, "completed"),
    ({"type": "agentMessage", "text": "héllo 🙂 " * 3000}, "completed"),
    ({"type": "agentMessage", "text": "partial"}, "started"),
    ({"type": "commandExecution", "command": "make", "aggregatedOutput": "ok\n" * 10, "status": "completed"},
     "completed"),
    ({"type": "commandExecution", "command": "rm -rf /", "aggregatedOutput": None, "status": "declined"}, "completed"),
    # a summary past MESSAGE_SUMMARY_MAX_CHARS, cut the same way (a pair at the cut left out whole)
    ({"type": "commandExecution", "command": "x" + "🙂" * 1500, "aggregatedOutput": "ok", "status": "completed"},
     "completed"),
    ({"type": "fileChange", "changes": [{"path": f"src/module_{i}.py", "diff": "+"} for i in range(300)],
      "status": "completed"}, "completed"),
    ({"type": "commandExecution", "command": "sleep", "status": "interrupted"}, "completed"),
    ({"type": "fileChange", "changes": [{"path": "a.txt", "diff": "+a"}, {"path": "b.txt", "diff": "-b"}],
      "status": "failed"}, "completed"),
    ({"type": "userMessage", "content": [{"type": "localImage", "path": "/w/shot.png"}, {"type": "skill", "name": "s",
                                                                                          "path": "/s"}]}, "completed"),
    ({"type": "mcpToolCall", "server": "docs", "tool": "search", "status": "completed"}, "completed"),
    ({"type": "mcpToolCall", "server": "docs", "tool": "search", "status": "completed",
      "result": {"content": [{"type": "text", "text": "found 2"}, {"type": "image", "data": "AAAA"},
                             {"type": "text", "text": "ok"}]}}, "completed"),
    ({"type": "mcpToolCall", "server": "docs", "tool": "get", "status": "failed", "error": {"message": "timed out"}},
     "completed"),
    ({"type": "dynamicToolCall", "namespace": "app", "tool": "lookup", "status": "completed", "success": True,
      "contentItems": [{"type": "inputText", "text": "42"}, {"type": "inputImage", "imageUrl": "data:,"}]},
     "completed"),
    ({"type": "collabAgentToolCall", "tool": "spawnAgent", "prompt": "check the tests", "status": "inProgress",
      "senderThreadId": "a", "receiverThreadIds": ["b"], "agentsStates": {}}, "started"),
    ({"type": "webSearch", "query": "convex limits", "action": {"type": "search", "query": "convex limits"}},
     "completed"),
    ({"type": "webSearch", "query": "", "action": {"type": "search", "queries": ["a", "b"]}}, "completed"),
    ({"type": "webSearch", "query": "https://x.dev", "action": {"type": "openPage", "url": "https://x.dev"}},
     "started"),
    ({"type": "webSearch", "query": "", "action": {"type": "findInPage", "url": "https://x.dev", "pattern": "id"}},
     "completed"),
    ({"type": "webSearch", "query": "plain", "action": None}, "completed"),
    ({"type": "imageView", "path": "/w/dot.png"}, "completed"),
    ({"type": "imageGeneration", "status": "completed", "result": "iVBORw0KGgo=", "revisedPrompt": "a red dot",
      "savedPath": "/w/gen.png"}, "completed"),
    ({"type": "enteredReviewMode", "review": "current changes"}, "completed"),
    ({"type": "exitedReviewMode", "review": "1 finding: the retry loop never ends"}, "completed"),
    ({"type": "plan", "text": "1. read\n2. fix"}, "completed"),
    ({"type": "reasoning", "summary": ["thinking", "then **more** ✓"], "content": ["raw"]}, "completed"),
    ({"type": "reasoning", "summary": [], "content": []}, "started"),
    ({"type": "contextCompaction"}, "completed"),
]


async def test_host_and_server_read_items_the_same(deployment: Deployment) -> None:
    thread_id = f"views-{uuid.uuid4()}"
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        api = HostApi(http)
        conv = (await api.sync_open_conversation_binding(thread_id=thread_id)).conversation
        events: list[dict[str, Any]] = [{"type": "turnStarted", "threadId": thread_id, "turnId": "t1", "at": 1.0}]
        for i, (item, phase) in enumerate(ITEMS):
            for who in ("server", "host"):
                it = {**item, "id": f"{who}{i}"}
                ev = {"type": "item", "threadId": thread_id, "turnId": "t1", "itemId": it["id"], "phase": phase,
                      "itemType": it["type"], "part": 0, "partCount": 1, "at": 2.0,
                      "data": json.dumps(it, ensure_ascii=False)}
                if who == "server":
                    events.append(ev)
                else:  # forced through the large-item path
                    view, texts = view_events(thread_id, "t1", it, phase, 2.0)
                    events += [{**ev, "view": view.wire() if view else None}, *(t.wire() for t in texts)]
        result = await api.ingest_events(conversation_id=conv.conversation_id, stream_id="views", seq=0,
                                         events=events)
        assert result.status == "accepted"
        stored = await persisted_messages(api, conv.conversation_id)
    by_id = {m.item_id: m.wire() for m in stored}
    fields = ("role", "status", "summary", "text", "kind", "textBytes")
    for i in range(len(ITEMS)):
        server, host = by_id.get(f"server{i}"), by_id.get(f"host{i}")
        assert (server is None) == (host is None), ITEMS[i]
        if server is not None and host is not None:
            assert {f: host[f] for f in fields} == {f: server[f] for f in fields}, ITEMS[i]
    assert len(stored) == 2 * (len(ITEMS) - 1)  # every item but the compaction is a message
    def shown(item_type: str, nth: int = 0) -> tuple[str, str | None, str]:
        """(role, summary, text) of the server's reading of the nth item of that type."""
        i = [k for k, (it, _) in enumerate(ITEMS) if it["type"] == item_type][nth]
        m = by_id[f"server{i}"]
        return m["role"], m.get("summary"), m["text"]

    assert shown("reasoning") == ("assistant", None, "thinking\n\nthen **more** ✓")
    assert shown("userMessage", 0)[2] == "hi\n[image]\nthere"
    assert shown("userMessage", 1)[2] == "[image: /w/shot.png]"
    assert shown("mcpToolCall", 1) == ("tool", "docs.search", "found 2\nok")  # text blocks only, never image bytes
    assert shown("mcpToolCall", 2) == ("tool", "docs.get", "timed out")
    assert shown("dynamicToolCall") == ("tool", "app.lookup", "42")
    assert shown("collabAgentToolCall") == ("tool", "spawnAgent", "check the tests")
    assert [shown("webSearch", k)[1] for k in range(5)] == [
        "search convex limits", "search a · b", "open https://x.dev", 'find "id" in https://x.dev', "search plain"]
    assert shown("imageView") == ("tool", "/w/dot.png", "")
    assert shown("imageGeneration") == ("tool", "/w/gen.png", "a red dot")
    assert shown("enteredReviewMode") == ("system", "review started", "current changes")
    assert shown("exitedReviewMode") == ("system", "review ended", "review ended")  # the text: the agentMessage after
    assert shown("plan") == ("assistant", None, "1. read\n2. fix")
