"""Serve the conversation page (tools/web, built into ``paths.web_dist()``) on 127.0.0.1.

Besides the page's three files it answers two JSON documents: ``/config.json`` (the deployment's URL) and ``/token``
(a token valid now: a fresh dev token for the embedded backend's local user, or the given one; the page's Convex
client asks again whenever it needs a fresh one). Only this page may read them: a request whose ``Host`` is not this
server's loopback address (DNS rebinding) or that comes from another origin is refused, and the page itself may
only load its own files and talk to the deployment (Content-Security-Policy).
"""

from __future__ import annotations

import inspect
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import structlog

from .. import paths
from ..convex_api.auth import TokenSource
from ..errors import CodexConvexError

log = structlog.get_logger(__name__)

FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/index.html": ("index.html", "text/html; charset=utf-8"),
         "/app.js": ("app.js", "text/javascript; charset=utf-8"), "/app.css": ("app.css", "text/css; charset=utf-8")}


def _token_now(source: TokenSource) -> str:
    if isinstance(source, str):
        return source
    got = source()
    if inspect.isawaitable(got):  # an async provider: the page server has no loop of its own; refuse clearly
        close = getattr(got, "close", None)
        if callable(close):
            close()
        raise CodexConvexError("the page server needs a synchronous token source", code="E_AUTH_TOKEN_PROVIDER")
    return got


def _ws_origin(url: str) -> str:
    u = urlsplit(url)
    return f"{'wss' if u.scheme == 'https' else 'ws'}://{u.netloc}"


@dataclass(frozen=True)
class PageConfig:
    deployment_url: str
    tokens: TokenSource
    local: bool
    subject: str | None


class PageServer:
    """The page's HTTP server, running in a thread. :meth:`start` returns its URL; :meth:`stop` ends it."""

    def __init__(self, config: PageConfig, *, port: int = 0, dist: Path | None = None) -> None:
        self.config = config
        self.dist = dist or paths.web_dist()
        missing = [f for f, _ in FILES.values() if not (self.dist / f).is_file()]
        if missing:
            raise CodexConvexError(f"the conversation page is not built ({', '.join(sorted(set(missing)))} missing in "
                                   f"{self.dist}): run `make setup`", code="E_UI_NOT_BUILT")
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> str:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="codex-convex-ui", daemon=True)
        self._thread.start()
        log.info("ui.serving", url=self.url, deployment=self.config.deployment_url)
        return self.url

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PageServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "codex-convex-ui"

            def log_message(self, format: str, *args: object) -> None:
                log.debug("ui.request", line=format % args)

            def _send(self, status: int, body: bytes, content_type: str, *, no_store: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Referrer-Policy", "no-referrer")
                self.send_header("Cache-Control", "no-store" if no_store else "no-cache")
                dep = server.config.deployment_url.rstrip("/")
                self.send_header("Content-Security-Policy",
                                 f"default-src 'self'; connect-src 'self' {dep} {_ws_origin(dep)}; "
                                 "img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, doc: object) -> None:
                self._send(status, json.dumps(doc).encode(), "application/json", no_store=True)

            def _refusal(self) -> tuple[str, str] | None:
                host = self.headers.get("Host", "")
                if host not in (f"127.0.0.1:{server.port}", f"localhost:{server.port}"):
                    return "E_UI_HOST", f"this page is served at {server.url} only (Host {host!r})"
                origin = self.headers.get("Origin")
                if origin is not None and origin not in (f"http://127.0.0.1:{server.port}",
                                                         f"http://localhost:{server.port}"):
                    return "E_UI_ORIGIN", f"requests from {origin} are not allowed"
                return None

            def do_GET(self) -> None:
                refused = self._refusal()
                if refused is not None:
                    self._json(403, {"code": refused[0], "message": refused[1]})
                    return
                path = urlsplit(self.path).path
                if path == "/config.json":
                    c = server.config
                    self._json(200, {"url": c.deployment_url, "local": c.local, "subject": c.subject})
                elif path == "/token":
                    try:
                        self._json(200, {"token": _token_now(server.config.tokens)})
                    except CodexConvexError as exc:
                        self._json(503, {"code": exc.code, "message": str(exc)})
                elif path in FILES:
                    name, ctype = FILES[path]
                    self._send(200, (server.dist / name).read_bytes(), ctype)
                else:
                    self._json(404, {"code": "E_UI_NOT_FOUND", "message": f"no {path} here"})

        return Handler

