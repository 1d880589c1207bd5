"""``codex-convex ui``: serve the conversation page on 127.0.0.1 until interrupted."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from ._output import emit_json, info, success


def ui(port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 0,
       data: Annotated[Path | None, typer.Option("--data", help="The embedded backend's data folder.")] = None,
       url: Annotated[str | None, typer.Option("--url", help="A deployment's URL (default: CONVEX_URL, else the "
                                                              "embedded local backend).")] = None,
       token: Annotated[str | None, typer.Option("--token", help="The user's JWT for --url (default: CONVEX_TOKEN "
                                                                  "or CONVEX_TOKEN_COMMAND).")] = None,
       conversation: Annotated[str | None, typer.Option("--conversation", help="Open this conversation.")] = None,
       json_out: Annotated[bool, typer.Option("--json", help="Print {url, deployment} as one JSON line, then "
                                                             "serve.")] = False) -> None:
    """Serve the live conversation page (conversations, streaming turns, approvals, sync and deletion jobs)."""
    from ..deployment import resolve_deployment
    from ..web import PageConfig, PageServer

    if url:  # the flags win over the environment, for this command only
        os.environ["CONVEX_URL"] = url
        if token:
            os.environ["CONVEX_TOKEN"] = token
            os.environ.pop("CONVEX_TOKEN_COMMAND", None)
    # Before the URL is out, so a stop right after it is clean. The handler only records it: one that set a
    # threading.Event could run while this thread holds that Event's lock (entering its wait) and hang for good.
    stopped: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopped.append(signum))
    dep = resolve_deployment(data)
    subject = os.environ.get("CODEX_CONVEX_SUBJECT", "local-user") if dep.local else None
    server = PageServer(PageConfig(dep.url, dep.tokens, dep.local, subject), port=port)
    server.start()
    page = server.url + (f"#/c/{conversation}" if conversation else "")
    if json_out:
        emit_json({"url": page, "deployment": dep.url, "local": dep.local})
    else:
        success(f"conversation page at {page}")
        info(f"  deployment {dep.url}{' (embedded local backend)' if dep.local else ''}; Ctrl-C stops it")
    try:
        while not stopped:
            time.sleep(0.1)  # a signal cuts it short
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
