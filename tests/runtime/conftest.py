"""Fixtures for host runtime tests: a host config against the deployment with alice's token."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from codex_convex.convex_api import ConvexHttp
from codex_convex.host_api import HostApi
from codex_convex.runtime import HostConfig
from tests.conftest import Deployment


@pytest.fixture
def host_config(codex_home: Path, workdir: Path, deployment: Deployment) -> HostConfig:
    return HostConfig(codex_home=codex_home, cwd=workdir, convex_url=deployment.url, token=deployment.alice,
                      rpc_timeout_s=30, turn_timeout_s=60)


@pytest.fixture
async def alice_api(deployment: Deployment) -> AsyncIterator[HostApi]:
    async with ConvexHttp(deployment.url, token=deployment.alice) as http:
        yield HostApi(http)


async def persisted_messages(api: HostApi, conversation_id: str) -> list[dict[str, Any]]:
    page = await api.list_messages(conversation_id=conversation_id, pagination_opts={"numItems": 100, "cursor": None})
    return list(reversed(page["page"]))


def codex_messages(thread: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of each user/agent message in Codex's own record of the thread."""
    out = []
    for turn in thread["turns"]:
        for it in turn["items"]:
            if it["type"] == "userMessage":
                out.append(("user", "\n".join(c.get("text", "") for c in it["content"] if c.get("text"))))
            elif it["type"] == "agentMessage":
                out.append(("assistant", it["text"]))
    return out


async def persisted_items(api: HostApi, thread_id: str, turn_id: str) -> list[dict[str, Any]]:
    turn = await api.get_turn(thread_id=thread_id, turn_id=turn_id)
    assert turn["found"]
    return [json.loads(i["json"]) for i in turn["items"]]
