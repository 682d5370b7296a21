"""A real headless Chromium driven by Playwright: Debian's ``chromium`` (``make browser`` installs it; Playwright
downloads no browser here), started with the flags a closed network needs. Screenshots are kept as test
artifacts under ``artifacts/screenshots/<test>/`` (``CONNECTORS_TEST_ARTIFACTS`` moves ``artifacts``)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CONNECTORS_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # else Chromium calls home, and this network refuses it
    "--disable-component-update",
    "--disable-sync",
]


def artifacts_dir() -> Path:
    return Path(os.environ.get("CONNECTORS_TEST_ARTIFACTS", ROOT / "artifacts"))


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (Debian's chromium package)")
    async with async_playwright() as pw:  # each launch gets a new, empty profile of Playwright's own
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


class Shots:
    """Numbered screenshots of one test's pages: ``await shots.take(page, "connected")``."""

    def __init__(self, test_name: str) -> None:
        self.dir = artifacts_dir() / "screenshots" / re.sub(r"[^\w.-]+", "_", test_name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def take(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.dir / f"{self.count:02d}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)
