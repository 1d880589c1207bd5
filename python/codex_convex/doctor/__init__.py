"""``codex-convex doctor``: check a live deployment and this machine, each check with a stable code."""

from .checks import Check, DoctorConfig, run_doctor

__all__ = ["Check", "DoctorConfig", "run_doctor"]
