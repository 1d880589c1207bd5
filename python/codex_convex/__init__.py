"""codex-convex: run OpenAI Codex locally while everything it does lives in Convex."""

__version__ = "0.1.0"
