"""Malformed arguments to every endpoint of the contract: a specific code (E_ARGS_INVALID) and no stored change
(a full export is compared). Three cases per endpoint — a wrong type, an unknown field, a missing required field —
generated from the contract, so a new endpoint gets them too."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from codex_convex.backend.transfer import export_zip
from codex_convex.convex_api import ConvexHttp
from codex_convex.doctor.probes import load_contract, sample
from codex_convex.errors import ConvexApiError
from tests.conftest import Deployment

pytestmark = pytest.mark.anyio
CONTRACT = load_contract()


def cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for name, ep in CONTRACT["endpoints"].items():
        required = {k: f for k, f in ep["args"].items() if not f["optional"]}
        good = {k: sample(f["fieldType"]) for k, f in required.items()}
        out.append((name, "unknown field", {**good, "unexpectedField": 1}))
        if required:
            first = next(iter(required))
            wrong = [] if not isinstance(good[first], list) else "not a list"
            out.append((name, f"wrong type for {first}", {**good, first: wrong}))
            out.append((name, f"missing {first}", {k: v for k, v in good.items() if k != first}))
    return out


CASES = cases()


def test_the_suite_is_big_enough() -> None:
    assert len(CASES) >= 40


def export(deployment: Deployment, path: Path) -> dict[str, bytes]:
    assert deployment.local is not None and deployment.local.info is not None
    export_zip(deployment.url, deployment.local.info.admin_key, path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        return {n: z.read(n) for n in sorted(z.namelist())}


async def test_every_malformed_call_is_refused_with_its_code_and_changes_nothing(
        deployment: Deployment, tmp_path: Path) -> None:
    if deployment.local is None:
        pytest.skip("needs the local backend's export")
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        await http.mutation("chat:syncOpenConversationBinding", {"threadId": "bad-input-owner"})  # data to protect
        before = export(deployment, tmp_path / "before.zip")
        failures = []
        for name, what, args in CASES:
            kind = CONTRACT["endpoints"][name]["kind"]
            try:
                await (http.query if kind == "query" else http.mutation)(f"chat:{name}", args)
                failures.append(f"{name} ({what}): accepted")
            except ConvexApiError as exc:
                if exc.code != "E_ARGS_INVALID":
                    failures.append(f"{name} ({what}): {exc.code}")
        assert failures == []
        assert export(deployment, tmp_path / "after.zip") == before
