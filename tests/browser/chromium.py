"""What the browser tests share: Debian's chromium driven by Playwright (no browser
download), where screenshots go, and a bearer token for the REST calls a test makes."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from db.seed import demo_credentials

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def api_token(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await http.post("/api/v1/auth/token", data=demo_credentials(username))
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@asynccontextmanager
async def chromium(base_url: str, height: int = 820) -> AsyncIterator[BrowserContext]:
    """A headless chromium with a fresh profile, Chinese locale, pages relative to `base_url`."""
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=FLAGS,
                viewport={"width": 1360, "height": height},
                locale="zh-CN",
                base_url=base_url,
            )
            try:
                yield browser
            finally:
                await browser.close()
