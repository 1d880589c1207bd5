"""An approval answered by the host's own handler is stored in Convex (the record every client sees); when the answer
to that write is lost on the way, the host repeats it: the repeat finds the request answered and the decision stands
(one layer: the answering against the deployment, Codex not involved)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from codex_convex.convex_api import Subscriber
from codex_convex.host_api import HostApi
from codex_convex.runtime.approvals import answer_via_convex
from codex_convex.runtime.config import ServerRequestInfo
from tests.conftest import Deployment
from tests.support import losing_api, pending_approval

pytestmark = [pytest.mark.anyio]


async def test_a_handlers_answer_whose_write_was_lost_is_repeated_and_stands(deployment: Deployment,
                                                                           alice_api: HostApi) -> None:
    conversation = await pending_approval(alice_api, "th-ask")
    # the first answer is stored, then the answer to that write is lost on the way
    lossy, wire = losing_api(deployment.url, deployment.alice, {"chat:respondServerRequest": 1})

    async def handler(info: ServerRequestInfo) -> Any:
        return "accept"

    info = ServerRequestInfo("7", "item/commandExecution/requestApproval", "th-ask", "t1", None, {}, conversation)
    async with Subscriber(deployment.url, token=deployment.alice) as sub:
        with anyio.fail_after(30):
            stored = await answer_via_convex(info, handler, lossy, sub)
    assert stored.get("decision") == "accept"
    # the lost write did not fail the request: it was sent again (repeatable in the contract) and answered the same,
    # or the host's subscription saw the stored decision first
    assert [a["decision"] for a in wire.args_of("chat:respondServerRequest")] in (["accept"], ["accept", "accept"])
    row = await alice_api.get_server_request(thread_id="th-ask", turn_id="t1", request_id="7")
    assert row is not None and row.decision_json is not None and "accept" in row.decision_json
