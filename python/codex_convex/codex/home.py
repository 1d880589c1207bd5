"""Prepare a ``CODEX_HOME`` and the environment Codex runs with.

For the scripted model the config points the ``mock`` provider at 127.0.0.1 and turns off every feature that
would reach the network at start-up (plugins, apps, update checks, analytics).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .binary import CodexBinary

SCRIPTED_API_KEY_ENV = "MOCK_API_KEY"

# Model metadata for the scripted model: "freeform" makes Codex offer apply_patch ("function" is rejected),
# and without an entry every turn warns "Model metadata for `mock-model` not found".
SCRIPTED_MODEL_CATALOG = {"models": [{
    "slug": "mock-model", "display_name": "mock-model", "description": "Scripted test model",
    "default_reasoning_level": "medium",
    "supported_reasoning_levels": [{"effort": "medium", "description": "medium"}],
    "shell_type": "unified_exec", "visibility": "list", "minimal_client_version": "0.0.1",
    "supported_in_api": True, "upgrade": None, "priority": 0,
    "base_instructions": "You are a scripted test model.",
    "supports_reasoning_summaries": False, "support_verbosity": False, "default_verbosity": None,
    "apply_patch_tool_type": "freeform", "input_modalities": ["text", "image"],
    "truncation_policy": {"mode": "tokens", "limit": 10000},
    "supports_parallel_tool_calls": False, "context_window": 272000, "reasoning_summary_format": "none",
    "experimental_supported_tools": [],
}]}


def scripted_config(model_base_url: str, catalog: str, approval_policy: str = "on-request",
                    stream_idle_timeout_ms: int = 10_000) -> str:
    """``config.toml`` text for a CODEX_HOME whose model is the scripted server at ``model_base_url``."""
    return f"""model = "mock-model"
model_provider = "mock"
approval_policy = "{approval_policy}"
sandbox_mode = "workspace-write"
check_for_update_on_startup = false
model_catalog_json = "{catalog}"

[model_providers.mock]
name = "Mock"
base_url = "{model_base_url}"
wire_api = "responses"
env_key = "{SCRIPTED_API_KEY_ENV}"
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = {stream_idle_timeout_ms}

[features]
plugins = false
apps = false

[analytics]
enabled = false

[tools.update_plan]
enabled = true
"""


def write_scripted_home(home: Path, model_base_url: str, *, stream_idle_timeout_ms: int = 10_000) -> Path:
    """Create ``home`` with a config for the scripted model; returns it."""
    home.mkdir(parents=True, exist_ok=True)
    catalog = home / "models.json"
    catalog.write_text(json.dumps(SCRIPTED_MODEL_CATALOG))
    (home / "config.toml").write_text(scripted_config(model_base_url, str(catalog),
                                                      stream_idle_timeout_ms=stream_idle_timeout_ms))
    return home


def codex_env(binary: CodexBinary, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the app-server: our CODEX_HOME, TMPDIR outside it (in the system's temp folder, this
    user's only: nothing stray beside CODEX_HOME), bundled helpers first on PATH."""
    env = dict(os.environ)
    env["CODEX_HOME"] = str(home)
    env.setdefault(SCRIPTED_API_KEY_ENV, "scripted")
    env.setdefault("RUST_LOG", "warn")
    env.setdefault("NO_COLOR", "1")
    tmp = Path(tempfile.gettempdir()) / f"codex-convex-{os.getuid()}"
    tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
    env["TMPDIR"] = str(tmp)
    if binary.path_dir is not None:
        env["PATH"] = f"{binary.path_dir}{os.pathsep}{env.get('PATH', '')}"
    if extra:
        env.update(extra)
    return env
