"""What the scripted model answers, decided from the request Codex sends.

Commands (the whole last user message):

- ``RUN <cmd>``: call ``exec_command`` with ``cmd``; after the tool output comes back, say ``ran: <cmd>`` (or
  ``declined: <cmd>`` when the output says the command was not run).
- ``PATCH <path> [text]``: call ``apply_patch`` adding ``path`` with one line; then say ``patched: <path>``.
- ``SLOW <seconds>``: stream 10 deltas spread over ``seconds``.
- ``DELTAS <n> [per_second]``: stream ``n`` deltas of ``"tok<i> "`` at the given rate (0 = as fast as possible).
- ``BIG <bytes>``: one agent message of that many bytes, in 64 KiB deltas.
- ``THINK <text>[ | <text>…]``: a reasoning item whose summary parts (split at `` | ``) stream word by word, 30 ms
  apart, then say ``thought: <text>``.
- ``PLAN <step>[=<status>][ | <step>[=<status>]…]``: call ``update_plan`` with those steps (status ``pending``,
  ``in_progress`` or ``completed``; default ``pending``); then say ``planned: <n> steps``. Codex offers the tool only
  with ``[tools.update_plan] enabled = true`` in its config (``write_scripted_home`` sets it).
- ``PROPOSE <step>[ | <step>…]``: in plan mode, a proposed plan as the plan-mode model writes it: a line, then a
  ``<proposed_plan>`` block (a ``# Plan`` heading and one ``- <step>`` line per step), then a closing line; streamed
  word by word, 30 ms apart, so a watcher sees it grow (Codex makes the block a ``plan`` item with its own deltas).
- ``ASK <question> | <option>[ | <option>…]``: in plan mode, ask the user (Codex's ``request_user_input``) one
  question, id ``choice``, with those options; after the answer, say ``answered: <the answers, joined by ", ">``.
- ``SEARCH <query>``: a web search (a ``web_search_call`` output item, as the Responses API's hosted tool sends it),
  then say ``searched: <query>``.
- ``VIEW <path>``: call ``view_image`` with ``path`` (an image in the working folder); then say ``viewed: <path>``.
- ``AGENT <task>``: spawn a sub-agent (Codex's ``spawn_agent``) whose first message is ``task`` (itself a script
  line: ``AGENT RUN echo hi``), wait for it (``wait_agent``), then say ``agent done: <task>``.
- ``REVIEW <explanation>[ | <finding>…]``: a /review's answer as Codex's reviewer gives it (a JSON review: the
  explanation, one finding per title after it, at ``/src/app.py`` line 1, or where ``<title> @ <path>[:<line>]``
  says); use it as a review's instructions.
- ``GOAL <objective>``: set a thread goal (Codex's ``create_goal``), say ``goal set: <objective>``; Codex then
  continues on its own (a turn it starts, its prompt Codex's goal context), where the model marks the goal complete
  (``update_goal``) and says ``goal complete: <objective>``.
- ``HTTP <code>``: answer with that HTTP status.
- ``PARTIAL <n> <message>``: stream ``n`` deltas, then fail the response (``response.failed`` with ``message``).
- ``STALL <seconds>``: start a stream, then send nothing for that long (a hung model).
- anything else: ``echo: <text>``, streamed word by word.

Must not import anything heavy: it runs inside test processes and the demo.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

THINK_GAP_S = 0.03  # between the words of a THINK summary: slow enough for a watcher to see it grow


@dataclass
class Delta:
    text: str
    delay_s: float = 0.0  # after the previous delta was due (a schedule: the time spent sending one is not added)


def paced(deltas: list[Delta], now: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[Delta]:
    """Each delta at its due time: the first ``delay_s`` after the start, each next ``delay_s`` after the one
    before was due. Sleeping ``delay_s`` after sending each instead adds the sending's own time to every gap: "200
    deltas/s" streamed ~182/s."""
    due = now()
    for d in deltas:
        if d.delay_s:
            due += d.delay_s
            wait = due - now()
            if wait > 0:
                sleep(wait)
        yield d


@dataclass
class Reply:
    """One scripted response: an HTTP error, a streamed message, or a tool call."""

    status: int = 200
    deltas: list[Delta] = field(default_factory=list)
    tool_call: dict[str, Any] | None = None
    reasoning: list[list[Delta]] = field(default_factory=list)  # reasoning summary parts, streamed before the message
    stall_s: float = 0.0
    fail_message: str | None = None  # after the deltas: response.failed with this message
    items: list[dict[str, Any]] = field(default_factory=list)  # whole output items before the message (web search)


def _last_user_text(body: dict[str, Any]) -> str:
    for item in reversed(body.get("input") or []):
        if item.get("type") == "message" and item.get("role") == "user":
            parts = item.get("content") or []
            texts = [p.get("text", "") for p in parts if p.get("type") in ("input_text", "text")]
            text = "\n".join(t for t in texts if t).strip()
            if text and not text.startswith("<"):
                return text
    return ""


def _last_item(body: dict[str, Any]) -> dict[str, Any]:
    items = body.get("input") or []
    return items[-1] if items else {}


def _words(text: str, gap_s: float = 0.0) -> list[Delta]:
    words = text.split(" ")
    return [Delta(w if i == len(words) - 1 else w + " ", gap_s) for i, w in enumerate(words)]


def _plan_steps(text: str) -> list[dict[str, str]]:
    steps = []
    for part in text.split(" | "):
        step, _, status = part.strip().partition("=")
        steps.append({"step": step.strip(), "status": status.strip() or "pending"})
    return steps


def _agent_step(body: dict[str, Any], task: str, call_seq: int) -> Reply:
    """AGENT: spawn a sub-agent with ``task``, wait for it, then say so. The step is read from the calls made since
    the user's message (Codex also adds messages of its own, e.g. when the agent finishes)."""
    items = body.get("input") or []
    start = max((k for k, i in enumerate(items) if i.get("type") == "message" and i.get("role") == "user"
                 and _last_user_text({"input": [i]})), default=0)
    calls = {i.get("name"): i.get("call_id") for i in items[start:] if i.get("type") == "function_call"}
    outputs = {i.get("call_id"): i.get("output") for i in items[start:] if i.get("type") == "function_call_output"}
    tool = {"type": "function_call", "call_id": f"call_{call_seq}", "namespace": "multi_agent_v1"}
    if "spawn_agent" not in calls:
        return Reply(tool_call={**tool, "name": "spawn_agent", "arguments": json.dumps({"message": task})})
    if "wait_agent" not in calls:
        try:
            agent_id = str(json.loads(str(outputs.get(calls["spawn_agent"]) or "{}")).get("agent_id", ""))
        except ValueError:
            agent_id = ""
        return Reply(tool_call={**tool, "name": "wait_agent", "arguments": json.dumps({"targets": [agent_id]})})
    return Reply(deltas=_words(f"agent done: {task}"))


def _answers(output: Any) -> str:
    """The answers in a request_user_input tool's output (Codex's JSON of the user's response), joined by ", "."""
    try:
        got = json.loads(str(output))
    except ValueError:
        return str(output)
    answers = got.get("answers") if isinstance(got, dict) else None
    if not isinstance(answers, dict):
        return str(output)
    return ", ".join(a for v in answers.values() if isinstance(v, dict) for a in v.get("answers") or [])


def _finding(spec: str) -> dict[str, Any]:
    """A reviewer's finding from ``<title>[ @ <path>[:<line>]]`` (default: ``/src/app.py`` line 1)."""
    title, _, where = (p.strip() for p in spec.partition(" @ "))
    path, _, line = where.rpartition(":") if ":" in where else (where, "", "1")
    start = int(line) if line.isdigit() else 1
    return {"title": title, "body": "found by the scripted reviewer", "confidence_score": 0.5, "priority": 1,
            "code_location": {"absolute_file_path": path or "/src/app.py",
                              "line_range": {"start": start, "end": start}}}


def _goal_continuation(item: dict[str, Any]) -> bool:
    """Codex's prompt for a turn it starts itself while a goal is active."""
    parts = item.get("content") or [] if item.get("role") == "user" else []
    return any(str(p.get("text", "")).startswith('<codex_internal_context source="goal">') for p in parts)


def choose_reply(body: dict[str, Any], call_seq: int) -> Reply:
    """Decide the reply to one ``POST /v1/responses`` body."""
    text = _last_user_text(body)
    last = _last_item(body)
    if text.startswith("GOAL ") and _goal_continuation(last):
        return Reply(tool_call={"type": "function_call", "call_id": f"call_{call_seq}", "name": "update_goal",
                                "arguments": json.dumps({"status": "complete"})})
    if last.get("type") in ("function_call_output", "custom_tool_call_output"):
        refused = any(w in json.dumps(last.get("output", "")).lower() for w in ("rejected", "declined", "denied"))
        if text.startswith("RUN "):
            return Reply(deltas=_words(f"{'declined' if refused else 'ran'}: {text[4:].strip()}"))
        if text.startswith("PATCH "):
            return Reply(deltas=_words(f"patched: {text.split()[1]}"))
        if text.startswith("PLAN "):
            return Reply(deltas=_words(f"planned: {len(_plan_steps(text[5:]))} steps"))
        if text.startswith("VIEW "):
            return Reply(deltas=_words(f"viewed: {text[5:].strip()}"))
        if text.startswith("GOAL "):
            done = '"status":"complete"' in str(last.get("output", "")).replace(" ", "")
            return Reply(deltas=_words(f"goal {'complete' if done else 'set'}: {text[5:].strip()}"))
        if text.startswith("AGENT "):
            return _agent_step(body, text[6:].strip(), call_seq)
        if text.startswith("ASK "):
            return Reply(deltas=_words(f"answered: {_answers(last.get('output'))}"))
        return Reply(deltas=_words("tool finished"))
    head, _, rest = text.partition(" ")
    if head == "STALL":
        return Reply(stall_s=float(rest.strip() or "30"))
    if head == "PARTIAL":
        count, _, message = rest.strip().partition(" ")
        return Reply(deltas=[Delta(f"part{i} ") for i in range(int(count or 3))],
                     fail_message=message or "partial failure")
    if head == "HTTP":
        return Reply(status=int(rest.strip() or "500"))
    if head == "RUN":
        args = json.dumps({"cmd": rest.strip()})
        return Reply(
            tool_call={"type": "function_call", "call_id": f"call_{call_seq}", "name": "exec_command",
                       "arguments": args}
        )
    if head == "PATCH":
        path, _, content = rest.strip().partition(" ")
        patch = f"*** Begin Patch\n*** Add File: {path}\n+{content or 'hello from the scripted model'}\n*** End Patch\n"
        return Reply(
            tool_call={"type": "custom_tool_call", "call_id": f"call_{call_seq}", "name": "apply_patch",
                       "input": patch}
        )
    if head == "PLAN":
        args = json.dumps({"plan": _plan_steps(rest)})
        return Reply(
            tool_call={"type": "function_call", "call_id": f"call_{call_seq}", "name": "update_plan",
                       "arguments": args}
        )
    if head == "SEARCH":
        query = rest.strip()
        search = {"type": "web_search_call", "id": f"ws_{call_seq}", "status": "completed",
                  "action": {"type": "search", "query": query}}
        return Reply(items=[search], deltas=_words(f"searched: {query}"))
    if head == "AGENT":
        return _agent_step(body, rest.strip(), call_seq)
    if head == "VIEW":
        return Reply(
            tool_call={"type": "function_call", "call_id": f"call_{call_seq}", "name": "view_image",
                       "arguments": json.dumps({"path": rest.strip()})}
        )
    if head == "REVIEW":
        explanation, *titles = [p.strip() for p in rest.split(" | ")]
        findings = [_finding(t) for t in titles]
        review = {"findings": findings, "overall_correctness": "patch is incorrect" if titles else "patch is correct",
                  "overall_explanation": explanation, "overall_confidence_score": 0.8}
        return Reply(deltas=_words(json.dumps(review)))
    if head == "GOAL":
        return Reply(tool_call={"type": "function_call", "call_id": f"call_{call_seq}", "name": "create_goal",
                                "arguments": json.dumps({"objective": rest.strip()})})
    if head == "SLOW":
        seconds = float(rest.strip() or "1")
        return Reply(deltas=[Delta(f"slow{i} ", seconds / 10) for i in range(10)])
    if head == "DELTAS":
        parts = rest.split()
        n = int(parts[0]) if parts else 100
        rate = float(parts[1]) if len(parts) > 1 else 0.0
        gap = 1.0 / rate if rate > 0 else 0.0
        return Reply(deltas=[Delta(f"tok{i} ", gap) for i in range(n)])
    if head == "ASK":
        question, *options = [p.strip() for p in rest.split(" | ")]
        asked = {"id": "choice", "header": "Choice", "question": question,
                 "options": [{"label": o, "description": f"choose {o}"} for o in options]}
        return Reply(tool_call={"type": "function_call", "call_id": f"call_{call_seq}", "name": "request_user_input",
                                "arguments": json.dumps({"questions": [asked]})})
    if head == "PROPOSE":
        steps = "".join(f"- {p.strip()}\n" for p in rest.split(" | "))
        return Reply(deltas=_words(f"Here is the plan.\n<proposed_plan>\n# Plan\n{steps}</proposed_plan>\nSay go.",
                                   THINK_GAP_S))
    if head == "THINK":
        summary = [_words(p.strip(), THINK_GAP_S) for p in rest.split(" | ")]
        return Reply(reasoning=summary, deltas=_words(f"thought: {rest.strip()}"))
    if head == "BIG":
        size = int(rest.strip() or "1048576")
        chunk = 64 * 1024
        body_text = ("x" * 63 + "\n") * (size // 64) + "y" * (size % 64)
        return Reply(deltas=[Delta(body_text[i : i + chunk]) for i in range(0, len(body_text), chunk)])
    return Reply(deltas=_words(f"echo: {text}"))
