"""A record number or an offset larger than the database's integers (2**63 - 1) is a 422
naming it: the driver's OverflowError was a 500 (found by the API fuzzer, tests/fuzz)."""

from __future__ import annotations

import httpx
import pytest

from tests.utils.api import login

pytestmark = pytest.mark.asyncio
HUGE = 435759219591620605611220727234560  # the fuzzer's number, > 2**63 - 1


@pytest.mark.parametrize(
    ("user", "method", "path", "body", "loc"),
    [
        ("clerk", "DELETE", f"/api/v1/tasks/filters/{HUGE}", None, ["path", "filter_id"]),
        ("finance", "POST", f"/api/v1/recoveries/{HUGE}/repayments", {"amount": "1.00"},
         ["path", "recovery_id"]),
        ("finance", "POST", f"/api/v1/recoveries/{HUGE}/offsets", {"case_id": "x"},
         ["path", "recovery_id"]),
        ("clerk", "GET", f"/api/v1/cases?offset={HUGE}", None, ["query", "offset"]),
        ("clerk", "GET", f"/api/v1/tasks?offset={HUGE}", None, ["query", "offset"]),
    ],
)  # fmt: skip
async def test_a_number_past_the_database_integers_is_a_422_naming_it(
    api: httpx.AsyncClient,
    user: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
    loc: list[str],
) -> None:
    headers = await login(api, user)
    resp = await api.request(method, path, json=body, headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == loc


async def test_the_largest_database_integer_is_still_looked_up(api: httpx.AsyncClient) -> None:
    headers = await login(api, "clerk")
    resp = await api.delete(f"/api/v1/tasks/filters/{2**63 - 1}", headers=headers)
    assert resp.status_code == 404, resp.text
