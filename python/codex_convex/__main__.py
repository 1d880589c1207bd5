"""``python -m codex_convex`` runs the command line."""

from .cli import main

main()
