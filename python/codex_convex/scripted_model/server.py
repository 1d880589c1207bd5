"""HTTP server speaking enough of the OpenAI Responses streaming API (SSE) for Codex.

Threaded (one thread per request) so a slow stream never blocks another turn. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .script import Delta, Reply, choose_reply, paced

USAGE = {
    "input_tokens": 11,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 7,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 18,
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read their own output
        return

    def do_GET(self) -> None:
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._plain(400, "request body is not JSON")
            return
        seq = self.server.next_seq()
        self.server.requests.append(body)
        reply = choose_reply(body, seq)
        if reply.status != 200:
            self._plain(reply.status, f"scripted failure {reply.status}")
            return
        self._stream(reply, seq)

    def _plain(self, status: int, message: str) -> None:
        data = json.dumps({"error": {"message": message, "type": "scripted"}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _event(self, name: str, data: dict[str, Any]) -> None:
        data = {**data, "type": name}
        payload = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
        self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        self.wfile.flush()

    def _reasoning(self, rid: str, parts: list[list[Delta]]) -> None:
        """A reasoning item at output 0 whose summary parts stream one after another, as the Responses API sends it."""
        self._event("response.output_item.added", {"output_index": 0, "item": {
            "type": "reasoning", "id": rid, "summary": []}})
        texts = []
        for i, part in enumerate(parts):
            at = {"item_id": rid, "output_index": 0, "summary_index": i}
            self._event("response.reasoning_summary_part.added", {**at, "part": {"type": "summary_text", "text": ""}})
            for d in paced(part):
                self._event("response.reasoning_summary_text.delta", {**at, "delta": d.text})
            texts.append("".join(d.text for d in part))
            self._event("response.reasoning_summary_text.done", {**at, "text": texts[-1]})
            self._event("response.reasoning_summary_part.done", {**at, "part": {"type": "summary_text",
                                                                                 "text": texts[-1]}})
        self._event("response.output_item.done", {"output_index": 0, "item": {
            "type": "reasoning", "id": rid, "summary": [{"type": "summary_text", "text": t} for t in texts]}})

    def _stream(self, reply: Reply, seq: int) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        rid = f"resp_{seq}"
        self._event("response.created",
                    {"response": {"id": rid, "object": "response", "status": "in_progress", "model": "mock-model"}})
        if reply.stall_s:
            time.sleep(reply.stall_s)  # a hung model: the stream stays open and silent
            return
        if reply.tool_call is not None:
            item = {**reply.tool_call, "id": f"fc_{seq}", "status": "completed"}
            added = {**item, "status": "in_progress"}
            if "arguments" in added:
                added["arguments"] = ""
            if "input" in added:
                added["input"] = ""
            self._event("response.output_item.added", {"output_index": 0, "item": added})
            self._event("response.output_item.done", {"output_index": 0, "item": item})
        else:
            out = 0
            if reply.reasoning:
                self._reasoning(f"rs_{seq}", reply.reasoning)
                out = 1
            for item in reply.items:
                added = {**item, "status": "in_progress"}
                self._event("response.output_item.added", {"output_index": out, "item": added})
                self._event("response.output_item.done", {"output_index": out, "item": item})
                out += 1
            mid = f"msg_{seq}"
            self._event("response.output_item.added", {"output_index": out, "item": {
                "type": "message", "id": mid, "role": "assistant", "status": "in_progress", "content": []}})
            text = []
            for d in paced(reply.deltas):
                text.append(d.text)
                self._event("response.output_text.delta",
                            {"item_id": mid, "output_index": out, "content_index": 0, "delta": d.text})
            if reply.fail_message is None:
                self._event("response.output_item.done", {"output_index": out, "item": {
                    "type": "message", "id": mid, "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": "".join(text), "annotations": []}]}})
        if reply.fail_message is not None:  # output so far, then the response fails
            self._event("response.failed", {"response": {"id": rid, "object": "response", "status": "failed",
                                                         "error": {"code": "server_error",
                                                                   "message": reply.fail_message}}})
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        self._event("response.completed",
                    {"response": {"id": rid, "object": "response", "status": "completed", "usage": USAGE}})
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.requests: list[dict[str, Any]] = []
        self._seq = 0
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq


class ScriptedModelServer:
    """The scripted model on a background thread; use as a context manager or call start/stop.

    :param port: 0 picks a free port.
    """

    def __init__(self, port: int = 0) -> None:
        self._server = _Server(port)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request body received, in order."""
        return self._server.requests

    def start(self) -> ScriptedModelServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="scripted-model", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
