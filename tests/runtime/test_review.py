"""Codex's /review (``review/start``) as a turn of the conversation: ``host.review()``. Codex runs the reviewer as a
turn nested in the review's (``rootTurnId``) that it never ends on its own, and forwards the reviewer's prompt and
the start of its messages (their text and end held back); none of that is a turn or a message of the thread. What
a second client sees is what Codex keeps: what is reviewed, "review ended", then the review."""

from __future__ import annotations

import anyio
import pytest

from codex_convex.convex_api import Subscriber
from codex_convex.errors import CodexConvexError
from codex_convex.host_api import HostApi
from codex_convex.host_api.reads import read_codex_thread
from codex_convex.runtime import CodexHost, HostConfig
from tests.conftest import Deployment
from tests.support import assert_same_json, page_opts, persisted_messages

pytestmark = [pytest.mark.anyio, pytest.mark.codex]


async def test_a_review_is_one_turn_showing_what_is_reviewed_and_the_review(host_config: HostConfig,
                                                                           deployment: Deployment,
                                                                           alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        conversation = await host.new_conversation()
        await host.send("SAY hello")
        instructions = "REVIEW the change is close | the retry loop never ends"
        r = await host.review(instructions=instructions)
        assert r.status == "completed" and r.conversation_id == conversation
        assert "the change is close" in r.text and "the retry loop never ends" in r.text  # Codex's rendering
        assert host.lifecycle_state().turn_id is None  # no turn left running (the reviewer's never ends)
        after = await host.send("SAY after")  # the thread goes on as before
        assert after.text == "echo: SAY after"
        want = (await host.read_thread())["thread"]
    # a second client sees the review's turn as Codex keeps it: no reviewer's prompt, no unfinished message
    async with Subscriber(deployment.url, token=deployment.alice) as ui:
        with anyio.fail_after(30):
            async for view in ui.watch("chat:getConversationView", {"conversationId": conversation,
                                                                    "numMessages": 20}):
                if view and any(m["text"] == "echo: SAY after" for m in view["messages"]):
                    break
    shown = [(m.role, m.kind, m.text, m.status) for m in await persisted_messages(alice_api, conversation)]
    # the reviewer's turn (Codex keeps it, interrupted, before the review's) holds its prompt
    assert shown[2:] == [("user", "userMessage", instructions, "completed"),
                         ("system", "enteredReviewMode", instructions, "completed"),
                         ("system", "exitedReviewMode", "review ended", "completed"),
                         ("assistant", "agentMessage", r.text, "completed"),
                         ("user", "userMessage", "SAY after", "completed"),
                         ("assistant", "agentMessage", "echo: SAY after", "completed")]
    turns = await alice_api.list_turns(thread_id=want["id"], pagination_opts=page_opts())
    assert [(t.turn_id, t.status) for t in turns.page] == [(t["id"], t["status"]) for t in want["turns"]]
    got = await read_codex_thread(alice_api, want["id"])
    assert got is not None
    assert_same_json(got, want)


async def test_a_review_of_the_uncommitted_changes_by_default_and_a_bad_target_refused(host_config: HostConfig,
                                                                                      alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        conversation = await host.new_conversation()
        for bad in ({"base_branch": "main", "commit": "abc"}, {"instructions": "  "}):
            with pytest.raises(CodexConvexError) as refused:
                await host.review(**bad)
            assert refused.value.code == "E_HOST_BAD_REVIEW_TARGET"
        r = await host.review()
        assert r.status == "completed" and r.text  # the scripted model answers Codex's own prompt as plain text
    [prompt, entered, ended, review] = await persisted_messages(alice_api, conversation)
    assert [m.kind for m in (prompt, entered, ended, review)] == [
        "userMessage", "enteredReviewMode", "exitedReviewMode", "agentMessage"]
    assert "changes" in entered.text and review.text == r.text
    assert "changes" in prompt.text  # Codex's prompt to its reviewer


async def test_what_the_reviewer_runs_lands_in_the_reviewers_turn(host_config: HostConfig,
                                                                   alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        conversation = await host.new_conversation()
        r = await host.review(instructions="RUN echo reviewed > reviewed.txt")
        assert r.status == "completed" and "ran: echo reviewed" in r.text
        want = (await host.read_thread())["thread"]
    assert (host_config.cwd / "reviewed.txt").read_text() == "reviewed\n"
    reviewer, review = want["turns"]
    assert reviewer["rootTurnId"] == review["id"] and reviewer["status"] == "interrupted"
    assert [i["type"] for i in reviewer["items"]] == ["userMessage", "commandExecution"]
    shown = [(m.role, m.kind, m.turn_id) for m in await persisted_messages(alice_api, conversation)]
    assert shown == [("user", "userMessage", reviewer["id"]), ("tool", "commandExecution", reviewer["id"]),
                     ("system", "enteredReviewMode", review["id"]), ("system", "exitedReviewMode", review["id"]),
                     ("assistant", "agentMessage", review["id"])]
    got = await read_codex_thread(alice_api, want["id"])
    assert got is not None
    assert_same_json(got, want)
