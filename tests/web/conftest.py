"""The conversation page in a real browser: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright (its
Python package; no browser download), against the page server of ``codex-convex ui`` and the test deployment.

``.ci/run`` installs Chromium and sets ``CODEX_CONVEX_REQUIRE_BROWSER=1``: there a missing browser fails the suite;
on a machine without Chromium these tests are skipped with the command that installs it. Screenshots of each state
land in ``.artifacts/web/`` (``CODEX_CONVEX_ARTIFACTS`` moves it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_convex.backend import mint_dev_token
from codex_convex.web import PageConfig, PageServer
from tests.conftest import Deployment

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CODEX_CONVEX_ARTIFACTS", REPO / ".artifacts")) / "web"
CHROMIUM = os.environ.get("CODEX_CONVEX_CHROMIUM", "/usr/bin/chromium")
# As root in a container: no sandbox; no background networking (this machine's closed network refuses it).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CODEX_CONVEX_REQUIRE_BROWSER"):
        pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs it (apt-get install chromium)")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
def page_server(deployment: Deployment) -> Iterator[PageServer]:
    """The page, signed in as alice (fresh dev tokens from the test backend's issuer)."""
    if deployment.local is None:
        pytest.skip("the page's dev tokens need the local backend's dev issuer")
    data = deployment.local.data_dir
    with PageServer(PageConfig(deployment.url, lambda: mint_dev_token(data, "alice"), True, "alice")) as srv:
        yield srv


# The README's pictures: copied from this run's screenshots when CODEX_CONVEX_UPDATE_SCREENSHOTS=1.
README_SHOTS = REPO / "tools" / "web" / "screenshots"
PUBLISHED = ("approval", "phone-approval")


def shot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


@pytest.fixture(scope="session", autouse=True)
def publish_screenshots() -> Iterator[None]:
    yield
    if os.environ.get("CODEX_CONVEX_UPDATE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        for name in PUBLISHED:
            if shot_path(name).exists():
                shutil.copy(shot_path(name), README_SHOTS / f"{name}.png")
