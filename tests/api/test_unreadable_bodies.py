"""A body the app cannot read at all (bytes that are not UTF-8, as the API fuzzer sent them) is
a 422 naming `body`, like any other bad input (CONVENTIONS: bad input is a 422 naming the
field); it was FastAPI's undocumented 400 "There was an error parsing the body"."""

from __future__ import annotations

import httpx
import pytest

from tests.utils.api import login

pytestmark = pytest.mark.asyncio
NOT_UTF8 = b"\xe9\x8f#\xd3B\xff\xfeLGR"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/registrations"),
        ("POST", "/api/v1/cases/search"),
        ("PUT", "/api/v1/tasks/filters"),
    ],
)
async def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    clerk = await login(api, "clerk")
    headers = {**clerk, "Content-Type": "application/json"}
    resp = await api.request(method, path, content=NOT_UTF8, headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body"]


async def test_other_http_errors_keep_their_status_and_detail(api: httpx.AsyncClient) -> None:
    clerk = await login(api, "clerk")
    resp = await api.get("/api/v1/cases/nosuchcase", headers=clerk)
    assert resp.status_code == 404
    assert resp.json() == {"detail": "no case nosuchcase"}
    assert (await api.get("/api/v1/auth/me")).headers["WWW-Authenticate"] == "Bearer"
