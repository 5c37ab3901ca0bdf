"""An app without Temporal behind it (sign-in, headers, sessions need only the database)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.main import create_app
from core.settings import Settings

AppFactory = Callable[..., Any]


@pytest.fixture
def app_client(settings: Settings) -> AppFactory:
    """`async with app_client(**settings_changes) as client:` the real app, lifespan run."""

    @asynccontextmanager
    async def make(**changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=changes))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4711))
            # production cookies are Secure: the browser sends them over https only
            scheme = "https" if changes.get("app_env") == "production" else "http"
            async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://api") as client:
                yield client

    return make
