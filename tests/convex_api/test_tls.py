"""Every HTTP client of the package shares one TLS context (building one loads the CA bundle: tens of ms of CPU per
client, on the event loop), and that context still verifies deployments' certificates."""

from __future__ import annotations

import ssl

from codex_convex.convex_api import ConvexHttp
from codex_convex.convex_api.tls import tls_context


def _context(http: ConvexHttp) -> ssl.SSLContext:
    return http._client._transport._pool._ssl_context  # type: ignore[attr-defined]


def test_clients_share_one_tls_context_that_verifies_certificates() -> None:
    a, b = ConvexHttp("https://a.convex.cloud"), ConvexHttp("https://b.convex.cloud")
    assert _context(a) is _context(b) is tls_context()
    assert ConvexHttp("http://127.0.0.1:3210")._client is None  # plain http: the lean transport, no TLS to build
    ctx = tls_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] > 0  # a CA bundle is loaded
