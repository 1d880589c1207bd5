"""A watch left by ``break`` (or cancelled) while the Subscriber closes right after: the official client's wait for
a subscription's next value panics in a runtime thread when the client is dropped under it (``called
Option::unwrap() on a None value`` on stderr). Closing settles the watches' waits first, so a program that reads a
few snapshots and leaves never prints a panic."""

from __future__ import annotations

import anyio
import pytest

from codex_convex.convex_api import Subscriber
from codex_convex.host_api import HostApi
from codex_convex.runtime import watch_conversation
from tests.conftest import Deployment

pytestmark = [pytest.mark.anyio, pytest.mark.backend]


async def test_leaving_watches_and_closing_at_once_never_panics_the_client(
        deployment: Deployment, alice_api: HostApi, capfd: pytest.CaptureFixture[str]) -> None:
    cid = (await alice_api.new_conversation()).conversation_id
    with anyio.fail_after(60):
        for _ in range(25):  # before the fix ~1 in 4 of these panicked
            async with Subscriber(deployment.url, token=deployment.alice) as sub:
                async for snap in watch_conversation(sub, cid, page_size=2):
                    assert snap.messages == []
                    break
        sub = Subscriber(deployment.url, token=deployment.alice)  # closed without `async with`: close() alone
        with anyio.move_on_after(0.2):
            async for _snap in watch_conversation(sub, cid, page_size=2):
                pass
        sub.close()
        await anyio.sleep(0.5)  # a panic would be printed by a runtime thread meanwhile
    err = capfd.readouterr().err
    assert "panicked" not in err, err[-2000:]
