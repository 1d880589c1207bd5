"""Isolation over the wire: every endpoint of the contract × {no identity, expired token, token for another
audience, token of an unknown issuer} is refused and writes nothing (a full export is compared before and
after). The endpoint list comes from the contract, so a new endpoint cannot skip this. (Another *user* is the
auth matrix of convex/app/auth.test.ts.)"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from codex_convex.backend.transfer import export_zip
from codex_convex.convex_api import ConvexHttp
from codex_convex.doctor.probes import load_contract, sample
from codex_convex.errors import ConvexAuthError
from tests.conftest import Deployment

pytestmark = pytest.mark.anyio

CONTRACT = load_contract()


def snapshot(deployment: Deployment, tmp_path: Path) -> dict[str, bytes]:
    assert deployment.local is not None and deployment.local.info is not None
    out = tmp_path / f"export-{len(list(tmp_path.iterdir()))}.zip"
    export_zip(deployment.url, deployment.local.info.admin_key, out)
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as z:
        return {n: z.read(n) for n in sorted(z.namelist())}


@pytest.mark.parametrize("who", ["no identity", "expired token", "other audience", "unknown issuer"])
async def test_every_endpoint_refuses(deployment: Deployment, tmp_path: Path, who: str) -> None:
    if deployment.local is None:
        pytest.skip("needs the local backend's dev issuer and export")
    token = {
        "no identity": None,
        "expired token": deployment.token("alice", ttl_s=-60),
        "other audience": deployment.token("alice", audience="someone-else"),
        "unknown issuer": deployment.token("alice", issuer="https://evil.example"),
    }[who]
    async with ConvexHttp(deployment.url, token=deployment.alice) as owner:  # some data to protect
        await owner.mutation("chat:syncOpenConversationBinding", {"threadId": f"iso-{who}"})
    before = snapshot(deployment, tmp_path)
    refused = []
    async with ConvexHttp(deployment.url, token=token) as http:
        for name, ep in CONTRACT["endpoints"].items():
            args = {k: sample(f["fieldType"]) for k, f in ep["args"].items() if not f["optional"]}
            call = http.query if ep["kind"] == "query" else http.mutation
            with pytest.raises(ConvexAuthError) as e:
                await call(f"chat:{name}", args)
            refused.append((name, e.value.code))
    assert len(refused) == len(CONTRACT["endpoints"])
    expected = "E_AUTH_REQUIRED" if token is None else "E_AUTH_INVALID_TOKEN"
    assert {code for _, code in refused} == {expected}
    assert snapshot(deployment, tmp_path) == before
