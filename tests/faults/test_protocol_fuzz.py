"""A protocol fuzzer against the local backend (issue #17): random and mutated sync-protocol frames, and random HTTP
bodies on every route, from an unauthenticated and an authenticated client. Afterwards the backend still serves;
the unauthenticated runs changed nothing stored; no request got a 5xx; and no client was told a mutation failed
(or got a FatalError instead of its answer) while that mutation in fact committed. Bounded by examples in the test
command; ``--long`` keeps fuzzing for 10 minutes."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from codex_convex.backend import LocalBackend, mint_dev_token
from tests.support import exported, ws_url

EXAMPLES = 40
LONG_S = int(os.environ.get("FUZZ_LONG_S", "600"))
pytestmark = [pytest.mark.backend, pytest.mark.faults, pytest.mark.timeout(LONG_S + 600)]
PATHS = ["diagnostics:ping", "diagnostics:getPing", "diagnostics:whoami", "diagnostics:echo",
         "diagnostics:internalProbe", "health:info", "chat:syncOpenConversationBinding", "chat:listConversations",
         "_probes/limits:insertRows", "", ":", "nope:nope", "diagnostics.js:ping", "/diagnostics:ping"]
ROUTES = ["/api/query", "/api/mutation", "/api/action", "/api/function", "/api/query_at_ts", "/api/query_batch",
          "/api/query_ts", "/api/run/diagnostics/ping", "/api/run/health/info", "/api/import", "/api/metrics/reset"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=24),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
timestamps = st.one_of(st.binary(min_size=8, max_size=8).map(lambda b: base64.b64encode(b).decode()),
                       st.text(max_size=12))


@st.composite
def frames(draw: st.DrawFn, token: str | None) -> dict[str, Any] | bytes | str:
    """One sync-protocol frame: a well-formed one of each type, then perhaps mutated (a field replaced, removed or
    added), or raw bytes or text."""
    kind = draw(st.sampled_from(["Ping", "Mutation", "Connect", "ModifyQuerySet", "Authenticate", "Action", "Event",
                                 "Ping", "Other", "Raw"]))
    if kind == "Raw":
        raw: bytes | str = draw(st.binary(max_size=64) | st.text(max_size=64))
        return raw
    args = draw(st.one_of(st.just([{}]), st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=3),
                                                  max_size=2), json_values))
    frame: dict[str, Any]
    if kind == "Connect":
        frame = {"type": "Connect", "sessionId": draw(st.one_of(st.uuids().map(str), st.text(max_size=200))),
                 "connectionCount": draw(st.integers(-5, 2**40)), "lastCloseReason": draw(st.text(max_size=20)),
                 "maxObservedTimestamp": draw(timestamps), "clientTs": draw(json_values)}
    elif kind == "ModifyQuerySet":
        base = draw(st.integers(-2, 4))
        mods = draw(st.lists(st.fixed_dictionaries({
            "type": st.sampled_from(["Add", "Remove", "Bogus"]), "queryId": st.integers(-3, 2**53),
            "udfPath": st.sampled_from(PATHS), "args": st.just(args)}), max_size=4))
        frame = {"type": "ModifyQuerySet", "baseVersion": base, "newVersion": base + draw(st.integers(-1, 2)),
                 "modifications": mods}
    elif kind == "Authenticate":
        frame = {"type": "Authenticate", "baseVersion": draw(st.integers(-1, 3)),
                 "tokenType": draw(st.sampled_from(["User", "None", "Admin", "Bogus"])),
                 "value": draw(st.one_of(st.just(token or ""), st.text(max_size=40)))}
    elif kind == "Ping":  # a mutation that commits: check_mutations follows it
        frame = {"type": "Mutation", "requestId": draw(st.integers(0, 20)), "udfPath": "diagnostics:ping",
                 "args": [{"nonce": f"fz-{uuid.uuid4()}", "delayMs": 0.0}]}
    elif kind in ("Mutation", "Action"):
        path = draw(st.sampled_from(PATHS))
        frame = {"type": kind, "requestId": draw(st.one_of(st.integers(-1, 2**53), json_values)), "udfPath": path,
                 "args": args}
    elif kind == "Event":
        frame = {"type": "Event", "eventType": draw(st.text(max_size=10)), "event": draw(json_values)}
    else:
        frame = {"type": draw(st.text(max_size=12)), **draw(st.dictionaries(st.text(max_size=8), json_values,
                                                                             max_size=3))}
    action = draw(st.sampled_from(["keep", "keep", "replace", "drop", "add"]))
    if action != "keep" and frame:
        key = draw(st.sampled_from(sorted(frame)))
        if action == "replace":
            frame[key] = draw(json_values)
        elif action == "drop":
            del frame[key]
        else:
            frame[draw(st.text(max_size=8))] = draw(json_values)
    return frame


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("fuzz")) as b:
        token = mint_dev_token(b.data_dir, "fuzz-owner")
        r = httpx.post(f"{b.url}/api/mutation", headers={"Authorization": f"Bearer {token}"},
                       json={"path": "chat:syncOpenConversationBinding", "args": {"threadId": "t-fuzz"}})
        assert r.status_code == 200, r.text
        yield b


def play(backend: LocalBackend, session: list[dict[str, Any] | bytes | str], token: str | None) -> list[dict[str, Any]]:
    """Send a session's frames (authenticated first when `token`), then read until the server closes or goes quiet."""
    got: list[dict[str, Any]] = []
    with connect(ws_url(backend), max_size=None, open_timeout=10) as ws:
        try:
            if token:
                ws.send(json.dumps({"type": "Connect", "sessionId": str(uuid.uuid4()), "connectionCount": 0,
                                    "lastCloseReason": "InitialConnect", "clientTs": 0}))
                ws.send(json.dumps({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": token}))
            for f in session:
                ws.send(f if isinstance(f, bytes | str) else json.dumps(f))
            mutations = sum(1 for f in session if isinstance(f, dict) and f.get("type") == "Mutation")
            while True:
                # every Mutation is answered unless the server closes first: wait for the answers (a loaded
                # machine can be slow), then for a short quiet spell
                answered = sum(1 for m in got if m.get("type") == "MutationResponse")
                msg = json.loads(ws.recv(timeout=1.0 if answered >= mutations else 30.0))
                if msg.get("type") != "Ping":
                    got.append(msg)
        except (TimeoutError, ConnectionClosed):
            pass
    return got


def check_mutations(backend: LocalBackend, sent: list[dict[str, Any] | bytes | str], got: list[dict[str, Any]],
                    token: str) -> None:
    """Every ping that committed was answered with success (never a failure, never a FatalError in its place)."""
    answered_ok = [m.get("requestId") for m in got if m.get("type") == "MutationResponse" and m.get("success") is True]
    for f in sent:
        if not (isinstance(f, dict) and f.get("type") == "Mutation" and f.get("udfPath") == "diagnostics:ping"):
            continue
        args = f.get("args")
        nonce = args[0].get("nonce") if isinstance(args, list) and args and isinstance(args[0], dict) else None
        if not (isinstance(nonce, str) and nonce.startswith("fz-")):
            continue
        r = httpx.post(f"{backend.url}/api/query", headers={"Authorization": f"Bearer {token}"},
                       json={"path": "diagnostics:getPing", "args": {"nonce": nonce}, "format": "json"})
        if r.json().get("value") is not None:
            assert any(_same(f.get("requestId"), v) for v in answered_ok), (f, got)


def _same(sent: Any, echoed: Any) -> bool:
    """A request id as the server echoes it: JSON numbers are float64 there (0.0 → 0, 2^53 + 1 → 2^53)."""
    if isinstance(sent, int | float) and not isinstance(sent, bool) and isinstance(echoed, int | float):
        return float(sent) == float(echoed)
    return bool(sent == echoed)


def sessions(token: str | None) -> st.SearchStrategy[list[dict[str, Any] | bytes | str]]:
    return st.lists(frames(token), min_size=1, max_size=8)


def until_time_is_up(long_run: bool, round_: Any) -> None:
    stop = time.monotonic() + (LONG_S if long_run else 0)
    round_()
    while time.monotonic() < stop:
        round_()


def fuzz_settings() -> settings:
    return settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def test_sync_frames_from_an_unauthenticated_client_change_nothing(backend: LocalBackend, long_run: bool) -> None:
    before = exported(backend)

    @fuzz_settings()
    @given(sessions(None))
    def fuzz(session: list[dict[str, Any] | bytes | str]) -> None:
        got = play(backend, session, None)
        assert not [m for m in got if m.get("type") == "MutationResponse" and m.get("success") is True]

    until_time_is_up(long_run, fuzz)
    assert httpx.get(f"{backend.url}/health").json()["status"] == "ok"
    assert exported(backend) == before


def test_sync_frames_from_an_authenticated_client_never_hide_a_commit(backend: LocalBackend, long_run: bool) -> None:
    token = mint_dev_token(backend.data_dir, "fuzz-user", ttl_s=3 * 3600)

    @fuzz_settings()
    @given(sessions(token))
    def fuzz(session: list[dict[str, Any] | bytes | str]) -> None:
        got = play(backend, session, token)
        check_mutations(backend, session, got, token)

    until_time_is_up(long_run, fuzz)
    assert httpx.get(f"{backend.url}/health").json()["status"] == "ok"


@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_http_bodies_never_get_a_5xx(backend: LocalBackend, long_run: bool, who: str) -> None:
    before = exported(backend)
    headers = {"Authorization": f"Bearer {mint_dev_token(backend.data_dir, 'fuzz-http', ttl_s=3 * 3600)}"} \
        if who == "user" else {}
    bodies = st.one_of(
        st.binary(max_size=256),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries({"path": st.sampled_from(PATHS) | json_values, "args": json_values,
                               "format": st.sampled_from(["json", "convex_encoded_json", "bogus"]) | json_values},
                              optional={"ts": timestamps | json_values, "queries": json_values,
                                        "componentPath": json_values}).map(lambda d: json.dumps(d).encode()))

    with httpx.Client(base_url=backend.url, headers=headers, timeout=30) as http:
        @fuzz_settings()
        @given(st.sampled_from(ROUTES), bodies)
        def fuzz(route: str, body: bytes) -> None:
            r = http.post(route, content=body, headers={"content-type": "application/json"})
            assert r.status_code < 500 or r.status_code == 560, (route, body, r.status_code, r.text)

        until_time_is_up(long_run, fuzz)
    assert httpx.get(f"{backend.url}/health").json()["status"] == "ok"
    if who == "anonymous":
        assert exported(backend) == before
