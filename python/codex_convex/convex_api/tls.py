"""One TLS context per process for every HTTP client (httpx's default: the system's settings, certifi's CA bundle).

Building one loads the CA bundle: tens of milliseconds of CPU, which every ``httpx.AsyncClient`` spent on creation
(a CLI command, a subscription's first check, a host's start), holding up everything else on the event loop.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
