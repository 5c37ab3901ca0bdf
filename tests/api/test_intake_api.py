"""The intake endpoints with the real worker and time-skipping server behind the real app."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from core.identity import IdentityKeys
from core.settings import Settings
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import notifications_of, today
from workflows import ids

pytestmark = pytest.mark.asyncio
BAD_USCC = "91110000600037341X"  # wrong check character


async def test_report_and_registration_for_one_person_make_one_case(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Either entry point, in either order, and any repeat, meet in one case (DOMAIN.md 1-2)."""
    h = await login(api, "clerk")
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=3)
    r1 = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=h)
    assert r1.status_code == 201, r1.text
    case_id = r1.json()["case_id"]
    assert nid not in case_id
    await case_when(api, h, case_id, "awaiting_employer_report")
    r2 = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=h
    )
    assert r2.status_code == 201 and r2.json()["case_id"] == case_id
    r3 = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=h
    )
    assert r3.json()["case_id"] == case_id  # a repeat is idempotent
    case = await case_when(api, h, case_id, "in_review")
    assert (
        case["deadlines"]["employer_report"]
        == case["deadline_details"]["employer_report"]["due_date"]
    )
    assert case["deadlines"]["registration"] is not None
    assert case["deadlines"]["review"] is not None
    assert case["proposal"]["months"] == 18 and case["proposal"]["monthly_amount"] == "755.00"
    assert case["entitlement"] is None
    assert case["national_id_masked"] == nid[:4] + "*" * 10 + nid[-4:]
    types = [e["type"] for e in case["events"]]
    assert types.count("employer_report_received") == 1
    assert "employer_report_resubmitted" not in types
    listed = await api.post("/api/v1/cases/search", json={"national_id": nid}, headers=h)
    assert [c["case_id"] for c in listed.json()] == [case_id]
    assert nid not in listed.text
    by_name = await api.get("/api/v1/cases", params={"q": "刘测", "status": "in_review"}, headers=h)
    assert case_id in [c["case_id"] for c in by_name.json()]
    in_url = await api.get("/api/v1/cases", params={"q": nid}, headers=h)
    assert in_url.status_code == 422 and in_url.json()["detail"][0]["loc"] == ["query", "q"]
    assert notifications_of(engine, case_id) == []


def _bad_inputs(nid: str, sep: date) -> list[tuple[str, dict[str, Any], list[str]]]:
    future = sep + timedelta(days=400)
    bad_id = nid[:-1] + ("0" if nid[-1] != "0" else "1")
    return [
        (
            "/api/v1/employer-reports",
            f.employer_report_json(bad_id, sep),
            ["body", "claimant", "national_id"],
        ),
        (
            "/api/v1/employer-reports",
            {
                **f.employer_report_json(nid, sep),
                "employer": {"uscc": "91110000600037341X", "name": "x"},
            },
            ["body", "employer", "uscc"],
        ),
        (
            "/api/v1/employer-reports",
            {**f.employer_report_json(nid, sep), "region_code": "999999"},
            ["body", "region_code"],
        ),
        (
            "/api/v1/employer-reports",
            f.employer_report_json(nid, future, notice_date=future.isoformat()),
            ["body", "separation_date"],
        ),
        (
            "/api/v1/employer-reports",
            f.employer_report_json(nid, sep, notice_date=(sep - timedelta(days=1)).isoformat()),
            ["body"],
        ),
        (
            "/api/v1/employer-reports",
            f.employer_report_json(nid, sep, contribution_months=-1),
            ["body", "contribution_months"],
        ),
        (
            "/api/v1/registrations",
            f.registration_json(bad_id, sep),
            ["body", "national_id"],
        ),
        (
            "/api/v1/registrations",
            f.registration_json(
                nid,
                sep,
                bank_account={
                    "bank_code": "ICBC",
                    "account_number": "6222020200112233445",
                    "account_name": "x",
                },
            ),
            ["body", "bank_account"],
        ),
    ]


async def test_bad_input_is_422_naming_the_field_and_starts_nothing(
    api: httpx.AsyncClient, env: WorkflowEnvironment, settings: Settings
) -> None:
    """Bad input: invalid ID or USCC checksum, unknown region, future or inverted dates,
    negative months, malformed JSON → 422 naming the field; no case is created."""
    h = await login(api, "clerk")
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=3)
    for path, body, loc in _bad_inputs(nid, sep):
        resp = await api.post(path, json=body, headers=h)
        assert resp.status_code == 422, (path, body, resp.text)
        locs = [d["loc"] for d in resp.json()["detail"]]
        assert any(found[: len(loc)] == loc for found in locs), (loc, locs)
        if loc == ["body"]:
            assert "notice_date" in resp.text
    resp = await api.post(
        "/api/v1/registrations",
        content=b'{"national_id": ',
        headers={**h, "Content-Type": "application/json"},
    )
    assert resp.status_code == 422 and resp.json()["detail"][0]["type"] == "json_invalid"
    listed = await api.post("/api/v1/cases/search", json={"national_id": nid}, headers=h)
    assert listed.json() == []
    case_id = IdentityKeys(settings.case_id_key).case_id(nid, sep)
    with pytest.raises(RPCError) as err:
        await env.client.get_workflow_handle(ids.case(case_id)).describe()
    assert err.value.status == RPCStatusCode.NOT_FOUND


async def test_auth_401_without_token_and_403_for_wrong_role(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """ARCHITECTURE.md roles: intake is for clerks (and supervisors), not finance."""
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=3)
    body = f.registration_json(nid, sep)
    assert (await api.post("/api/v1/registrations", json=body)).status_code == 401
    assert (await api.get("/api/v1/cases")).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await api.get("/api/v1/tasks", headers=bad)).status_code == 401
    wrong = await api.post("/api/v1/auth/token", data={"username": "clerk", "password": "wrong"})
    assert wrong.status_code == 401
    fin = await login(api, "finance")
    assert (await api.post("/api/v1/registrations", json=body, headers=fin)).status_code == 403
