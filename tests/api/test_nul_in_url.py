"""A NUL character (%00) in a query string or a path is a 422 naming where it was: on
PostgreSQL (whose text cannot hold NUL) GET /api/v1/tasks?assignee=...%00... was a 500, found by
the API fuzzer (tests/fuzz)."""

from __future__ import annotations

import httpx
import pytest

from tests.utils.api import login

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        ("/api/v1/tasks?assignee=ukg%00(", ["query"]),
        ("/api/v1/cases?status=a%00b", ["query"]),
        ("/api/v1/cases/ab%00cd", ["path"]),
    ],
)
async def test_a_nul_in_the_url_is_a_422_naming_where(
    api: httpx.AsyncClient, url: str, loc: list[str]
) -> None:
    headers = await login(api, "reviewer")
    resp = await api.get(url, headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == loc
    assert resp.headers["X-Content-Type-Options"] == "nosniff"  # the other middleware still ran


async def test_urls_without_nul_are_untouched(api: httpx.AsyncClient) -> None:
    headers = await login(api, "reviewer")
    assert (await api.get("/api/v1/tasks?assignee=clerk", headers=headers)).status_code == 200
    assert (await api.get("/api/v1/cases/ab%2500cd", headers=headers)).status_code == 404
