"""Mint JWTs for the local backend's dev issuer, signed with the key pair in ``<data>/dev-keys/``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt

from ..errors import CodexConvexError

DEV_ISSUER = "https://dev.codex-convex.local"  # convex/app/auth.config.ts
DEV_AUDIENCE = "codex-convex"


def mint_dev_token(data_dir: Path, subject: str, *, ttl_s: int | None = 3600, audience: str = DEV_AUDIENCE,
                   issuer: str = DEV_ISSUER, extra: dict[str, object] | None = None, now: float | None = None) -> str:
    """A signed RS256 token for ``subject`` (``ttl_s=None``: no ``exp`` claim, which Convex refuses).

    :raises CodexConvexError: (``E_AUTH_NO_DEV_KEY``) when the backend has not created its dev key yet.
    """
    keys = data_dir / "dev-keys"
    try:
        private = (keys / "private.pem").read_text()
        kid = json.loads((keys / "jwks.json").read_text())["keys"][0]["kid"]
    except (OSError, KeyError, ValueError) as exc:
        raise CodexConvexError(f"no dev signing key under {keys}: start the local backend once with --data {data_dir}",
                               code="E_AUTH_NO_DEV_KEY") from exc
    issued = int(now if now is not None else time.time())
    claims: dict[str, object] = {"iss": issuer, "aud": audience, "sub": subject, "iat": issued,
                                 **({"exp": issued + ttl_s} if ttl_s is not None else {}), **(extra or {})}
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})
