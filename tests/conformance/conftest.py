"""Conformance runs against the local backend, or against CONVEX_URL when one is given."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from tests.conftest import Deployment


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    url = os.environ.get("CONVEX_URL")
    if url:
        alice, bob = os.environ.get("CONVEX_TOKEN_ALICE"), os.environ.get("CONVEX_TOKEN_BOB")
        if not (alice and bob):
            pytest.skip("CONVEX_URL is set but CONVEX_TOKEN_ALICE / CONVEX_TOKEN_BOB are not")
        yield Deployment(url, alice, bob, None)
        return
    data = tmp_path_factory.mktemp("backend")
    with LocalBackend(data) as backend:
        yield Deployment(backend.url, mint_dev_token(data, "alice"), mint_dev_token(data, "bob"), backend)
