"""Non-destructive probes of a deployment's functions.

A function is called with arguments shaped from the contract plus one extra field, ``__doctorProbe``. Convex
validates arguments before running anything, so a present function answers "extra field `__doctorProbe`"
without executing, a missing one answers "Could not find public function", and a function whose arguments
differ from the contract complains about another field first.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

PROBE_FIELD = "__doctorProbe"


def load_contract() -> dict[str, Any]:
    text = resources.files("codex_convex.host_api._generated").joinpath("host-contract.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def sample(v: dict[str, Any]) -> Any:
    """A value that satisfies the validator (JSON form from ``exportArgs``)."""
    t = v["type"]
    if t == "string" or t == "id":
        return "doctor"
    if t == "number":
        return 0.0
    if t == "bigint":
        return {"$integer": "AAAAAAAAAAA="}
    if t == "boolean":
        return False
    if t == "null":
        return None
    if t == "any":
        return {}
    if t == "literal":
        return v["value"]
    if t == "array":
        return []
    if t == "record":
        return {}
    if t == "union":
        return sample(v["value"][0])
    if t == "object":
        return {k: sample(f["fieldType"]) for k, f in v["value"].items() if not f["optional"]}
    return None


def probe_args(args: dict[str, Any]) -> dict[str, Any]:
    return {**{k: sample(f["fieldType"]) for k, f in args.items() if not f["optional"]}, PROBE_FIELD: True}


def classify(message: str) -> str:
    """``present`` | ``missing`` | ``mismatch`` from the error a probe got."""
    if "Could not find public function" in message or "Could not find function" in message:
        return "missing"
    # Convex's message for a missing field prints the whole object, probe field included: only the extra-field
    # complaint about the probe itself means every real argument matched.
    if f"extra field `{PROBE_FIELD}`" in message or f'extra field "{PROBE_FIELD}"' in message:
        return "present"
    return "mismatch"
