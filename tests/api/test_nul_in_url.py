"""A NUL character (%00, \\u0000) in a query string, a path or a body is a 422 naming where: on
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


async def test_a_nul_in_a_json_body_or_a_form_is_a_422_naming_the_body(
    api: httpx.AsyncClient,
) -> None:
    headers = await login(api, "reviewer")
    saved = await api.put(
        "/api/v1/tasks/filters", json={"name": "mine\u0000", "filters": {}}, headers=headers
    )
    assert saved.status_code == 422, saved.text
    assert saved.json()["detail"][0]["loc"] == ["body"]
    token = await api.post("/api/v1/auth/token", data={"username": "a\u0000", "password": "x"})
    assert token.status_code == 422, token.text
    assert token.json()["detail"][0]["loc"] == ["body"]


async def test_an_escaped_backslash_before_u0000_is_no_nul(api: httpx.AsyncClient) -> None:
    headers = await login(api, "reviewer")
    body = {"name": "C:\\u0000 and 50%", "filters": {}}  # a backslash, then "u0000"
    saved = await api.put("/api/v1/tasks/filters", json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["name"] == body["name"]
    # the session's database is shared: leave the reviewer's filters as they were
    gone = await api.delete(f"/api/v1/tasks/filters/{saved.json()['id']}", headers=headers)
    assert gone.status_code == 204
