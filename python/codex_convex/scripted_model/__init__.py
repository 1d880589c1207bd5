"""A scripted stand-in for the OpenAI Responses API, so real Codex turns run with no API key.

The reply is chosen by the last user message (see :mod:`.script`). Tests, the demo and benchmarks start it on
127.0.0.1 and point Codex's ``model_providers.mock.base_url`` at it.
"""

from .server import ScriptedModelServer

__all__ = ["ScriptedModelServer"]
