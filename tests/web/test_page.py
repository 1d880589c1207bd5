"""The conversation page (``codex-convex ui``) in Chromium, against real Codex (the scripted model) and the test
deployment: what a user watching from a browser relies on. Each state is saved as a screenshot (.artifacts/web)."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from codex_convex.backend import LocalBackend, mint_dev_token
from codex_convex.host_api import HostApi
from codex_convex.host_api.models import GetConversationSyncJobFound, GetDeletionStatusFound
from codex_convex.runtime import CodexHost, HostConfig, HostMode, ServerRequestInfo
from codex_convex.sync import thread_records
from codex_convex.web import PageConfig, PageServer
from tests.conftest import Deployment
from tests.support import DOT_PNG, first_json_document, persisted_messages
from tests.web.conftest import DESKTOP, PHONE, shot_path

pytestmark = [pytest.mark.anyio, pytest.mark.codex, pytest.mark.browser]

CURSOR = "▍"


async def open_page(browser: Any, url: str, viewport: dict[str, int] = DESKTOP) -> tuple[Any, list[str]]:
    """A new page at ``url``; the list collects the page's uncaught errors (asserted empty by the tests)."""
    ctx = await browser.new_context(viewport=viewport, reduced_motion="reduce")  # screenshots show end states
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    await page.locator("[data-testid=connection]", has_text="live").wait_for(timeout=15_000)
    return page, errors


async def last_assistant(page: Any) -> tuple[str, str] | None:
    """(text, status) of the last assistant message shown, or None."""
    msgs = page.locator("[data-testid=message][data-role=assistant]")
    n = await msgs.count()
    if n == 0:
        return None
    m = msgs.nth(n - 1)
    text = await m.locator("[data-testid=message-text]").inner_text() if await m.locator(
        "[data-testid=message-text]").count() else ""
    return text.replace(CURSOR, ""), (await m.get_attribute("data-status")) or ""


async def test_a_live_turn_streams_into_the_open_page(browser: Any, page_server: PageServer,
                                                      host_config: HostConfig) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        seen: list[str] = []  # distinct texts of the streaming answer, in the order the page showed them
        working = False
        out: dict[str, Any] = {}

        async def run() -> None:
            out["turn"] = await host.send("SLOW 3")

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            with anyio.fail_after(60):
                while "turn" not in out:
                    got = await last_assistant(page)
                    if got is not None and got[1] == "streaming" and got[0] and (not seen or seen[-1] != got[0]):
                        seen.append(got[0])
                        if len(seen) == 2:
                            await page.screenshot(path=shot_path("streaming"))
                    state = await page.locator("[data-testid=turn-state]").inner_text()
                    working = working or state == "Codex is working…"
                    await anyio.sleep(0.05)
        result = out["turn"]
        assert result.status == "completed"
        # the text grew while the turn ran, each view a prefix of the next, ending at the whole answer
        assert len(seen) >= 3, seen
        assert all(a != b and b.startswith(a) for a, b in itertools.pairwise(seen)), seen
        assert result.text.startswith(seen[-1])
        assert working
        final = page.locator("[data-testid=message][data-role=assistant][data-status=completed]")
        await final.last.wait_for(timeout=15_000)
        assert (await final.last.inner_text()).strip() == result.text.strip()
        assert await page.locator("[data-testid=turn-state]").inner_text() == "idle"
        # untitled (Codex names no thread): the heading and the list show its first message
        await page.locator("h2", has_text="SLOW 3").wait_for(timeout=15_000)
        listed = page.locator(f"[data-testid=conversation-link][data-conversation-id='{cid}'] .title")
        assert (await listed.inner_text()).strip() == "SLOW 3"
        await page.screenshot(path=shot_path("conversation"))
        assert errors == []


async def test_a_reasoning_summary_streams_into_the_page_before_the_answer(browser: Any, page_server: PageServer,
                                                                         host_config: HostConfig) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        thinking = page.locator("[data-testid=message][data-role=assistant] [data-testid=reasoning-text]")
        seen: list[str] = []  # distinct texts the reasoning row showed while it streamed
        out: dict[str, Any] = {}

        async def run() -> None:
            out["turn"] = await host.send("THINK read the question slowly and carefully | then answer it")

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            with anyio.fail_after(60):
                while "turn" not in out:
                    if await thinking.count():
                        text = await thinking.first.inner_text()
                        if not seen or seen[-1] != text:
                            seen.append(text)
                    await anyio.sleep(0.02)
        assert out["turn"].status == "completed"
        final = page.locator("[data-testid=message][data-role=assistant][data-status=completed]")
        await final.last.wait_for(timeout=15_000)
        await page.screenshot(path=shot_path("reasoning"))
        shown = await thinking.first.inner_text()
        assert shown == "read the question slowly and carefully\n\nthen answer it", shown
        assert len(seen) >= 2 and all(shown.startswith(t) for t in seen), seen  # it grew in place
        rows = page.locator("[data-testid=message][data-role=assistant]")
        assert await rows.count() == 2 and await rows.last.get_attribute("data-item-id") == "msg_1"
        assert errors == []


async def test_a_proposed_plan_streams_into_the_page_labelled_before_the_answer(browser: Any, page_server: PageServer,
                                                                              host_config: HostConfig) -> None:
    """Plan mode (send(..., plan=True)): the proposed plan shows as it streams, labelled, and ends before the answer
    it was written in, as Codex lists it."""
    import dataclasses

    async with CodexHost(dataclasses.replace(host_config, experimental_api=True)) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        plan = page.locator("[data-testid=message][data-role=assistant].kind-plan [data-testid=message-text]")
        seen: list[str] = []  # distinct texts the plan's row showed while it streamed
        out: dict[str, Any] = {}

        async def run() -> None:
            out["turn"] = await host.send("PROPOSE read the code | write the fix | run the tests", plan=True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            with anyio.fail_after(60):
                while "turn" not in out:
                    if await plan.count():
                        text = await plan.first.inner_text()
                        if not seen or seen[-1] != text:
                            seen.append(text)
                    await anyio.sleep(0.02)
        assert out["turn"].status == "completed"
        done = page.locator("[data-testid=message][data-role=assistant].kind-plan[data-status=completed]")
        await done.wait_for(timeout=15_000)
        await page.screenshot(path=shot_path("proposed-plan"))
        assert await page.locator("[data-testid=plan-label]").text_content() == "Proposed plan"
        shown = (await plan.first.inner_text()).strip()
        assert shown.endswith("\n# Plan\n- read the code\n- write the fix\n- run the tests"), shown
        assert len(seen) >= 2, seen  # seen growing, not only whole
        rows = page.locator("[data-testid=message][data-role=assistant]")
        await page.locator("[data-testid=message][data-item-id=msg_1][data-status=completed]").wait_for(timeout=15_000)
        kinds = [await rows.nth(i).get_attribute("class") or "" for i in range(await rows.count())]
        assert [("kind-plan" in k, "kind-agentMessage" in k) for k in kinds] == [(True, False), (False, True)], kinds
        assert errors == []


async def test_a_question_codex_asks_in_plan_mode_is_answered_in_the_page(browser: Any, page_server: PageServer,
                                                                        host_config: HostConfig) -> None:
    """Plan mode's model asks the user (request_user_input): the page shows the question with its options and free
    text, and the answer picked there is what the model gets."""
    import dataclasses

    async with CodexHost(dataclasses.replace(host_config, experimental_api=True)) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        out: dict[str, Any] = {}

        async def run() -> None:
            out["turn"] = await host.send("ASK which database? | sqlite | postgres", plan=True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            question = page.locator("[data-testid=question]")
            await question.wait_for(timeout=30_000)
            await page.locator("[data-testid=turn-state]", has_text="waiting for your answer").wait_for(timeout=15_000)
            assert await question.locator("[data-testid=question-text]").inner_text() == "which database?"
            options = question.locator("[data-testid=question-option]")
            assert [await options.nth(i).inner_text() for i in range(await options.count())] == ["sqlite", "postgres"]
            assert await question.locator("[data-testid=question-input]").count() == 1  # Codex allows another answer
            send = question.locator("[data-testid=question-send]")
            assert await send.is_disabled()  # nothing chosen yet
            await options.nth(1).click()
            await page.screenshot(path=shot_path("question"))
            await send.click()
            await question.wait_for(state="detached", timeout=15_000)
        assert out["turn"].status == "completed" and out["turn"].text == "answered: postgres"
        await page.locator("[data-testid=message-text]", has_text="answered: postgres").wait_for(timeout=15_000)
        assert errors == []


async def test_a_goal_shows_in_the_page_while_codex_works_toward_it(browser: Any, page_server: PageServer,
                                                                     host_config: HostConfig) -> None:
    """A goal (Codex's create_goal) shows above the messages with its status, and follows it: reached once Codex,
    going on by itself, marked it complete."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        goal = page.locator("[data-testid=goal]")
        assert await goal.count() == 0
        await host.send("GOAL tidy the docs")
        await host.wait_for_goal()
        await page.locator("[data-testid=goal][data-status=complete]").wait_for(timeout=15_000)
        assert "Goal (reached): tidy the docs" in await goal.inner_text()
        await page.screenshot(path=shot_path("goal"))
        assert errors == []


async def test_the_pages_stop_button_stops_codex(browser: Any, page_server: PageServer,
                                                 host_config: HostConfig) -> None:
    """While Codex works, the page offers Stop: pressing it asks the host (through Convex) to interrupt the turn."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        assert await page.locator("[data-testid=stop]").count() == 0  # idle: nothing to stop
        result: dict[str, Any] = {}

        async def long_turn() -> None:
            result["turn"] = await host.send("SLOW 20")

        async with anyio.create_task_group() as tg:
            tg.start_soon(long_turn)
            stop = page.locator("[data-testid=stop]:not([disabled])")
            await stop.wait_for(timeout=15_000)
            await page.screenshot(path=shot_path("stop"))
            await stop.click()
        assert result["turn"].status == "interrupted"
        await page.locator("[data-testid=turn-state]", has_text="idle").wait_for(timeout=15_000)
        assert await page.locator("[data-testid=stop]").count() == 0
        assert errors == []


async def test_a_message_written_in_the_page_runs_as_a_turn_on_the_host(browser: Any, page_server: PageServer,
                                                                        host_config: HostConfig) -> None:
    """The page's composer gives the host driving the conversation a message (through Convex): with Codex idle a turn
    starts with it and its answer streams into the page; while a turn runs, the message steers it. Once the host is
    gone the composer says how to start one instead of sending into the void."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        box = page.locator("[data-testid=composer-text]:not([disabled])")
        await box.fill("SAY hello from the browser")
        await box.press("Enter")
        answer = page.locator("[data-testid=message][data-role=assistant][data-status=completed]",
                              has_text="echo: SAY hello from the browser")
        await answer.wait_for(timeout=30_000)
        assert await box.input_value() == ""
        user = page.locator("[data-testid=message][data-role=user]", has_text="SAY hello from the browser")
        assert await user.count() == 1
        await page.screenshot(path=shot_path("composer"))
        # while a turn of the host's own runs, a message from the page goes into that turn
        result: dict[str, Any] = {}

        async def long_turn() -> None:
            result["turn"] = await host.send("SLOW 6")

        async with anyio.create_task_group() as tg:
            tg.start_soon(long_turn)
            await page.locator("[data-testid=turn-state]", has_text="working").wait_for(timeout=15_000)
            await box.fill("SAY steer from the browser")
            await page.locator("[data-testid=composer-send]").click()
        assert result["turn"].status == "completed"
        turns = (await host.read_thread())["thread"]["turns"]
        assert len(turns) == 2  # the steer made no turn of its own
        said = [c["text"] for i in turns[1]["items"] if i["type"] == "userMessage" for c in i["content"]]
        assert said == ["SLOW 6", "SAY steer from the browser"]
        await page.locator("[data-testid=message][data-role=user]", has_text="SAY steer from the browser").wait_for(
            timeout=15_000)
    # the host has stopped: the composer is off and says how to start one
    await page.locator("[data-testid=composer-text][disabled]").wait_for(timeout=15_000)
    assert "run --serve --conversation" in (await page.locator("[data-testid=composer-text]").get_attribute(
        "placeholder") or "")
    assert errors == []


async def test_the_composers_plan_box_runs_the_message_in_plan_mode(browser: Any, page_server: PageServer,
                                                                     host_config: HostConfig) -> None:
    """With Plan ticked, the message the page sends starts a turn in Codex's plan mode (its proposed plan shows,
    labelled); unticked, the next one runs in the default mode."""
    import dataclasses

    async with CodexHost(dataclasses.replace(host_config, experimental_api=True)) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        box = page.locator("[data-testid=composer-text]:not([disabled])")
        plan = page.locator("[data-testid=composer-plan]")
        await plan.check()
        await box.fill("PROPOSE read the code | write the fix")
        await box.press("Enter")
        proposed = page.locator("[data-testid=message].kind-plan[data-status=completed]")
        await proposed.wait_for(timeout=30_000)
        assert "- read the code\n- write the fix" in await proposed.inner_text()
        await page.locator("[data-testid=message][data-role=assistant][data-status=completed]",
                           has_text="Say go.").wait_for(timeout=15_000)
        await plan.uncheck()
        await box.fill("PROPOSE run the tests")
        await box.press("Enter")
        await page.locator("[data-testid=message][data-role=assistant][data-status=completed]",
                           has_text="<proposed_plan>").wait_for(timeout=30_000)  # default mode: no plan item
        assert await page.locator("[data-testid=message].kind-plan").count() == 1
        assert errors == []


async def test_a_goal_paused_by_the_pages_stop_is_resumed_by_its_resume_button(browser: Any, page_server: PageServer,
                                                                               host_config: HostConfig) -> None:
    """A goal Codex pursues on its own: Stop pauses it (the goal line says paused and offers Resume); Resume asks the
    host to set it active, and Codex goes on by itself (a turn nobody sent runs)."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        await host.set_goal("keep polishing")  # active: Codex runs turn after turn (never reached here)
        await page.locator("[data-testid=stop]:not([disabled])").click(timeout=15_000)
        await page.locator("[data-testid=goal][data-status=paused]").wait_for(timeout=15_000)
        goal = await host.wait_for_goal()  # nothing runs any more
        assert goal is not None and goal.status.value == "paused"
        ended = host.turns.ended_count
        await page.screenshot(path=shot_path("goal-paused"))
        await page.locator("[data-testid=resume-goal]:not([disabled])").click(timeout=15_000)
        await page.locator("[data-testid=goal][data-status=active]").wait_for(timeout=15_000)
        assert await page.locator("[data-testid=resume-goal]").count() == 0
        with anyio.fail_after(30):
            await host.turns.wait_ended(ended)  # Codex went on by itself
        await page.locator("[data-testid=stop]:not([disabled])").click(timeout=15_000)  # and stops again
        await page.locator("[data-testid=goal][data-status=paused]").wait_for(timeout=15_000)
        assert errors == []


async def test_a_goal_set_in_the_page_becomes_the_threads_and_codex_works_toward_it(
        browser: Any, page_server: PageServer, host_config: HostConfig) -> None:
    """The page's goal field asks the host driving the conversation to give the thread a new goal: the goal line shows
    it active and Codex works toward it by itself (a turn nobody sent runs); a goal Codex refuses is said so."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        ended = host.turns.ended_count
        field = page.locator("[data-testid=goal-objective]:not([disabled])")
        await field.fill("keep polishing the docs", timeout=15_000)
        assert await page.locator("[data-testid=goal-set]").inner_text() == "Set goal"
        await page.locator("[data-testid=goal-set]").click()
        goal_line = page.locator("[data-testid=goal][data-status=active]", has_text="keep polishing the docs")
        await goal_line.wait_for(timeout=15_000)
        assert await field.input_value() == ""
        with anyio.fail_after(30):
            await host.turns.wait_ended(ended)  # Codex works toward it by itself
        goal = await host.get_goal()
        assert goal is not None and goal.objective == "keep polishing the docs"
        await page.screenshot(path=shot_path("goal-set"))
        await page.locator("[data-testid=stop]:not([disabled])").click(timeout=15_000)
        await page.locator("[data-testid=goal][data-status=paused]").wait_for(timeout=15_000)
        await host.wait_for_goal()
        assert await page.locator("[data-testid=goal-set]").inner_text() == "Replace goal"  # there is one to replace
        # Codex refuses an objective over its own limit: the page says the host could not set it
        await field.fill("x" * 4001)
        await page.locator("[data-testid=goal-set]").click()
        await page.locator("[data-testid=goal-note][data-outcome=failed]").wait_for(timeout=15_000)
        assert await page.locator("[data-testid=goal]", has_text="keep polishing the docs").count() == 1
        assert errors == []


async def test_the_latest_turns_plan_shows_in_the_page_and_follows_updates(browser: Any, page_server: PageServer,
                                                                            host_config: HostConfig) -> None:
    """The model's plan (Codex's update_plan) shows under the messages, each step marked by its status; the next
    update replaces it in place."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        plan = page.locator("[data-testid=plan]")
        assert await plan.count() == 0  # no plan yet: nothing shown
        steps = plan.locator("li")

        async def shown() -> list[tuple[str, str]]:
            return [((await steps.nth(i).inner_text()).strip(), await steps.nth(i).get_attribute("data-status") or "")
                    for i in range(await steps.count())]

        for prompt, want in [
            ("PLAN read the code=completed | write the fix=in_progress | run the tests",
             [("✓ read the code", "completed"), ("→ write the fix", "inProgress"), ("· run the tests", "pending")]),
            ("PLAN read the code=completed | write the fix=completed | run the tests=in_progress",
             [("✓ read the code", "completed"), ("✓ write the fix", "completed"), ("→ run the tests", "inProgress")]),
        ]:
            assert (await host.send(prompt)).status == "completed"
            with anyio.fail_after(15):
                while True:  # the page follows Convex's push
                    if await shown() == want:
                        break
                    await anyio.sleep(0.05)
        await page.screenshot(path=shot_path("plan"))
        assert await plan.count() == 1
        assert errors == []




async def test_the_tools_the_model_used_show_as_what_they_did(browser: Any, page_server: PageServer,
                                                              host_config: HostConfig) -> None:
    """A web search and an image the model looked at (Codex's webSearch and imageView items) each show as a tool row
    saying what it did, between the prompt and the answer."""
    (host_config.cwd / "dot.png").write_bytes(DOT_PNG)
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        assert (await host.send("SEARCH convex component limits")).status == "completed"
        assert (await host.send(f"VIEW {host_config.cwd / 'dot.png'}")).status == "completed"
        tools = page.locator("[data-testid=tool]")
        with anyio.fail_after(15):
            while True:  # the page follows Convex's push
                if await tools.count() >= 2:
                    break
                await anyio.sleep(0.05)
        assert [await tools.nth(i).get_attribute("data-kind") for i in range(2)] == ["webSearch", "imageView"]
        assert (await tools.nth(0).inner_text()).strip() == "web search convex component limits"
        assert (await tools.nth(1).inner_text()).strip() == f"image {host_config.cwd / 'dot.png'}"
        roles = [await m.get_attribute("data-role") for m in await page.locator("[data-testid=message]").all()]
        assert roles == ["user", "tool", "assistant", "user", "tool", "assistant"], roles
        await page.screenshot(path=shot_path("tools"))
        assert errors == []


async def test_an_approval_accepted_in_the_page_lets_the_turn_finish(
        browser: Any, page_server: PageServer, host_config: HostConfig, alice_api: HostApi) -> None:
    # No Python handler: the host waits for a decision written to Convex, here by a click in the browser.
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        await host.set_thread_name("Write approved.txt")  # the thread's name is the conversation's title
        await host.send("hello, what will you do?")
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("h2", has_text="Write approved.txt").wait_for(timeout=15_000)
        phone, phone_errors = await open_page(browser, f"{page_server.url}#/c/{cid}", PHONE)
        out: dict[str, Any] = {}

        done = anyio.Event()

        async def run() -> None:
            out["turn"] = await host.send("RUN echo approved > approved.txt")
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            approval = page.locator("[data-testid=approval]")
            await approval.wait_for(timeout=30_000)
            assert "echo approved > approved.txt" in await approval.inner_text()
            assert "turn" not in out  # Codex is waiting on the answer
            await page.screenshot(path=shot_path("approval"))
            # a phone-sized page shows the same request, its buttons on screen, nothing wider than the screen
            on_phone = phone.locator("[data-testid=approval]")
            await on_phone.wait_for(timeout=15_000)
            assert await on_phone.locator("button.accept").is_visible()
            assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            await phone.screenshot(path=shot_path("phone-approval"))
            await approval.locator("button.accept").click()
            await approval.wait_for(state="detached", timeout=10_000)
            with anyio.fail_after(60):
                await done.wait()
        assert out["turn"].status == "completed"
        assert (host_config.cwd / "approved.txt").read_text() == "approved\n"
        requests = [m for m in await persisted_messages(alice_api, cid) if m.kind == "commandExecution"]
        assert len(requests) == 1 and requests[0].status == "completed"
        command = page.locator("[data-testid=command]")
        await command.wait_for()
        assert "echo approved > approved.txt" in await command.inner_text()
        await on_phone.wait_for(state="detached", timeout=10_000)  # the other page saw the answer too
        assert errors == [] and phone_errors == []


async def test_a_model_error_shows_as_a_notice(browser: Any, page_server: PageServer, host_config: HostConfig) -> None:
    """Codex's error notification (the model call failed, Codex gave up) is shown with the conversation while its
    turn is the latest."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        assert await page.locator("[data-testid=notice]").count() == 0
        r = await host.send("HTTP 500")
        assert r.status == "failed" and r.error is not None
        notice = page.locator("[data-testid=notice]")
        await notice.wait_for(timeout=15_000)
        assert await notice.get_attribute("data-kind") == "error"
        assert r.error.message in await notice.inner_text()
        await page.screenshot(path=shot_path("notice"))
        assert (await host.send("and now?")).status == "completed"  # the next turn: that error is over
        await notice.wait_for(state="detached", timeout=15_000)
        assert errors == []


async def test_a_sub_agents_approval_is_answered_in_the_parents_page_and_the_agent_is_a_link_away(
        browser: Any, page_server: PageServer, host_config: HostConfig) -> None:
    """The model spawns a sub-agent (Codex's spawn_agent) whose command needs approval: the parent's page shows the
    request, marked as the sub-agent's; accepting it there lets both finish; the agent's conversation is linked
    both ways."""
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        await page.locator("[data-testid=conversation]").wait_for()
        out: dict[str, Any] = {}
        done = anyio.Event()

        async def run() -> None:
            out["turn"] = await host.send("AGENT RUN echo agent > agent.txt")
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            approval = page.locator("[data-testid=approval]")
            await approval.wait_for(timeout=30_000)
            assert "echo agent > agent.txt" in await approval.inner_text()
            assert await approval.locator("[data-testid=from-agent]").count() == 1
            await page.screenshot(path=shot_path("agent-approval"))
            await approval.locator("button.accept").click()
            with anyio.fail_after(60):
                await done.wait()
        assert out["turn"].status == "completed"
        assert (host_config.cwd / "agent.txt").read_text() == "agent\n"
        link = page.locator("[data-testid=agent-link]")
        await link.wait_for(timeout=15_000)
        assert (await link.inner_text()).endswith(": RUN echo agent > agent.txt")
        agent = (await link.get_attribute("href") or "").removeprefix("#/c/")
        await link.click()
        await page.locator("[data-testid=parent-link]").wait_for(timeout=15_000)
        listed = page.locator(f"[data-testid=conversation-link][data-conversation-id='{agent}']")
        assert await listed.locator("[data-testid=sub-agent-badge]").count() == 1  # the list marks it too
        parent = page.locator(f"[data-testid=conversation-link][data-conversation-id='{cid}']")
        assert await parent.locator("[data-testid=sub-agent-badge]").count() == 0
        command = page.locator("[data-testid=command]")
        await command.wait_for(timeout=15_000)
        assert "echo agent > agent.txt" in await command.inner_text()
        await page.screenshot(path=shot_path("agent"))
        assert errors == []


async def accept(info: ServerRequestInfo) -> str:
    return "accept"


async def test_an_import_shows_its_progress_bar_reaching_n_of_n(
        browser: Any, page_server: PageServer, host_config: HostConfig, alice_api: HostApi) -> None:
    local = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, mode=HostMode.CODEX_ONLY,
                       on_server_request=accept)
    async with CodexHost(local) as codex:
        await codex.new_conversation()
        for prompt in ["one", "RUN echo two", "PATCH three.txt", "four"]:
            await codex.send(prompt)
        thread_id = codex.thread_id
    assert thread_id is not None
    page, errors = await open_page(browser, f"{page_server.url}#/jobs")
    async with CodexHost(host_config) as host:
        result = await host.import_local_thread(thread_id)
    assert result.state == "synced" and result.job_id is not None
    got = await alice_api.get_conversation_sync_job(job_id=result.job_id)
    assert isinstance(got, GetConversationSyncJobFound)
    n = int(got.job.total_records)
    assert n == result.records > 0
    row = page.locator(f"[data-testid=sync-job][data-job-id='{result.job_id}']")
    await row.wait_for(timeout=15_000)
    await row.locator("[data-testid=sync-progress-label]", has_text=f"{n}/{n} synced").wait_for(timeout=15_000)
    assert await row.get_attribute("data-state") == "synced"
    assert await row.locator("[role=progressbar]").get_attribute("aria-valuenow") == "100"
    await page.screenshot(path=shot_path("import"))
    # and the imported conversation opens from the job, its messages those Convex holds
    await row.locator("a").click()
    await page.locator("[data-testid=conversation]").wait_for()
    stored = await persisted_messages(alice_api, result.conversation_id)
    await page.locator("[data-testid=message]").nth(len(stored) - 1).wait_for(timeout=15_000)
    assert await page.locator("[data-testid=message]").count() == len(stored)
    assert errors == []


async def test_a_scheduled_deletion_cancelled_in_the_page(
        browser: Any, page_server: PageServer, host_config: HostConfig, alice_api: HostApi) -> None:
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        await host.send("keep me")
        thread_id = host.thread_id
        assert thread_id is not None
        job = await host.delete_thread(thread_id, grace_s=600)
    page, errors = await open_page(browser, f"{page_server.url}#/jobs")
    row = page.locator(f"[data-testid=deletion-job][data-job-id='{job.job_id}']")
    await row.wait_for(timeout=15_000)
    assert await row.get_attribute("data-phase") == "scheduled"
    await row.locator("button", has_text="Cancel").click()
    await page.locator(f"[data-testid=deletion-job][data-job-id='{job.job_id}'][data-phase=cancelled]").wait_for(
        timeout=10_000)
    status = await alice_api.get_deletion_status(job_id=job.job_id)
    assert isinstance(status, GetDeletionStatusFound) and status.job.phase == "cancelled"
    assert len(await persisted_messages(alice_api, cid)) == 2  # nothing was deleted
    assert errors == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_page_reconnects_after_a_backend_restart(browser: Any, tmp_path: Path,
                                                          host_config: HostConfig) -> None:
    data, port = tmp_path / "backend", free_port()
    backend = LocalBackend(data, port=port)
    backend.start()
    try:
        cfg = HostConfig(codex_home=host_config.codex_home, cwd=host_config.cwd, convex_url=backend.url,
                         token=mint_dev_token(data, "carol"), rpc_timeout_s=30, turn_timeout_s=60)
        async with CodexHost(cfg) as host:
            cid = await host.new_conversation()
            await host.send("before the restart")
        with PageServer(PageConfig(backend.url, lambda: mint_dev_token(data, "carol"), True, "carol")) as srv:
            page, errors = await open_page(browser, f"{srv.url}#/c/{cid}")
            messages = page.locator("[data-testid=message]")
            await messages.nth(1).wait_for(timeout=15_000)
            before = await messages.all_inner_texts()
            backend.stop()
            await page.locator("[data-testid=connection]", has_text="reconnecting").wait_for(timeout=15_000)
            await page.screenshot(path=shot_path("reconnecting"))
            backend = LocalBackend(data, port=port)
            backend.start()
            await page.locator("[data-testid=connection]", has_text="live").wait_for(timeout=30_000)
            assert await messages.all_inner_texts() == before
            # and it is live again: a new turn shows up without a reload
            async with CodexHost(cfg) as host:
                await host.resume_conversation(cid)
                await host.send("after the restart")
            await page.locator("[data-testid=message-text]", has_text="echo: after the restart").wait_for(
                timeout=15_000)
            assert errors == []
    finally:
        backend.stop()


def test_codex_convex_ui_serves_the_page_to_its_own_origin_only(deployment: Deployment) -> None:
    if deployment.local is None:
        pytest.skip("the embedded page needs the local backend")
    env = {k: v for k, v in os.environ.items() if k not in ("CONVEX_URL", "CONVEX_TOKEN", "CONVEX_TOKEN_COMMAND")}
    env["CODEX_CONVEX_SUBJECT"] = "alice"
    proc = subprocess.Popen([sys.executable, "-m", "codex_convex", "ui", "--data", str(deployment.local.data_dir),
                             "--json", "--conversation", "abc"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        started = first_json_document(proc)
        assert started["deployment"] == deployment.url and started["local"] is True
        assert started["url"].endswith("/#/c/abc")
        base = started["url"].split("#")[0]
        config = httpx.get(base + "config.json").json()
        assert config == {"url": deployment.url, "local": True, "subject": "alice"}
        token = httpx.get(base + "token").json()["token"]
        claims = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[1] + "=="))
        assert claims["sub"] == "alice"
        page = httpx.get(base)
        assert page.status_code == 200 and "app.js" in page.text
        assert "connect-src 'self' " + deployment.url in page.headers["content-security-policy"]
        # another host name (DNS rebinding) or another page's origin gets nothing
        rebound = httpx.get(base + "token", headers={"Host": "evil.example:80"})
        assert rebound.status_code == 403 and rebound.json()["code"] == "E_UI_HOST"
        other = httpx.get(base + "token", headers={"Origin": "http://127.0.0.1:1"})
        assert other.status_code == 403 and other.json()["code"] == "E_UI_ORIGIN"
        assert httpx.get(base + "nope").json()["code"] == "E_UI_NOT_FOUND"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


async def test_older_messages_load_a_page_at_a_time(browser: Any, page_server: PageServer, alice_api: HostApi) -> None:
    # 40 turns × 3 messages, written as live ingest would: the view shows the newest 50, older ones on demand
    thread = {"id": "web-older-thread", "preview": "older", "turns": [
        {"id": f"turn-{i:03d}", "status": "completed", "startedAt": 1_700_000_000 + i, "completedAt": 1_700_000_001 + i,
         "items": [{"type": "userMessage", "id": f"u{i}", "content": [{"type": "text", "text": f"question {i}"}]},
                   {"type": "commandExecution", "id": f"c{i}", "command": f"ls {i}", "status": "completed",
                    "aggregatedOutput": f"file{i}.txt\n"},
                   {"type": "agentMessage", "id": f"m{i}", "text": f"answer {i}"}]}
        for i in range(40)]}
    events = list(thread_records(thread))
    cid = (await alice_api.sync_open_conversation_binding(thread_id=thread["id"])).conversation.conversation_id
    for seq in range(0, len(events), 200):
        await alice_api.ingest_events(conversation_id=cid, stream_id="web-test", seq=seq, events=events[seq:seq + 200])
    page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
    messages = page.locator("[data-testid=message]")
    await messages.nth(49).wait_for(timeout=15_000)
    assert await messages.count() == 50
    assert "answer 39" in await messages.last.inner_text()
    older = page.locator("[data-testid=load-older]")
    await older.click()
    await messages.nth(99).wait_for(timeout=15_000)
    await page.locator("[data-testid=load-older]:not([disabled])").click()
    await messages.nth(119).wait_for(timeout=15_000)
    texts = await messages.all_inner_texts()
    assert len(texts) == 120 and "question 0" in texts[0] and "answer 39" in texts[-1]
    assert await older.count() == 0  # nothing older left
    assert errors == []


async def test_a_message_longer_than_a_view_page_shows_whole(browser: Any, page_server: PageServer,
                                                             host_config: HostConfig) -> None:
    # 300,000 characters: a view carries the first 16 Ki; the page reads the rest live, 8 segments per page (3 pages)
    async with CodexHost(host_config) as host:
        cid = await host.new_conversation()
        page, errors = await open_page(browser, f"{page_server.url}#/c/{cid}")
        result = await host.send("BIG 300000")
    assert result.status == "completed" and len(result.text) == 300_000
    text = page.locator("[data-testid=message][data-role=assistant] [data-testid=message-text]").last
    await page.wait_for_function(
        """n => [...document.querySelectorAll('[data-testid=message][data-role=assistant] [data-testid=message-text]')]
                 .pop()?.innerText.replace('▍', '').length >= n""", arg=300_000, timeout=30_000)
    assert (await text.inner_text()).replace(CURSOR, "") == result.text
    assert errors == []
