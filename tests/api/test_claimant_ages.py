"""Every claimant of working age gets in (issue 9 §1, §5): identity numbers of every birth
year, under-16s refused at the door, the retirement-age pre-check through the real workflow
on the time-skipping server, and no case for a separation date without a policy in force."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from stdnum.cn import ric
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from core.identity import IdentityKeys
from core.settings import Settings
from domain.entitlement import add_months
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today
from workflows import ids

pytestmark = pytest.mark.asyncio
ISSUE_EXAMPLE = "220102197001010018"  # born 1970-01-01, a man: refused before (issue 9 §1)

# (birth, sex, below the retirement age from 2025-09 to 2029-01), by policy/national.toml
CLAIMANTS: list[tuple[date, str, bool]] = [
    (date(1960, 5, 1), "male", False),  # 60 on 2020-05-01
    (date(1960, 5, 1), "female", False),  # 50 (workers) on 2010-05-01
    (date(1968, 3, 10), "male", True),  # 60y10m: 2029-01-10
    (date(1968, 3, 10), "female", False),  # 50 in 2018 (55 as a cadre, in 2023)
    (date(1975, 6, 1), "male", True),  # 63 on 2038-06-01
    (date(1975, 6, 1), "female", False),  # workers: 50y3m on 2025-09-01 (cadres: 2031-11-01)
    (date(1982, 4, 1), "male", True),
    (date(1982, 4, 1), "female", True),  # workers: 53y8m on 2035-12-01
    (date(1990, 9, 30), "male", True),
    (date(1990, 9, 30), "female", True),
]


async def _file_both(api: httpx.AsyncClient, h: dict[str, str], nid: str, sep: date) -> str:
    report = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=h
    )
    assert report.status_code == 201, report.text
    reg = await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=h)
    assert reg.status_code == 201, reg.text
    assert reg.json()["case_id"] == report.json()["case_id"]
    return str(reg.json()["case_id"])


def _check(case: dict[str, Any], code: str) -> dict[str, Any]:
    [found] = [c for c in case["proposal"]["checks"] if c["code"] == code]
    return dict(found)


async def test_claimants_born_1960_to_1990_of_both_sexes_get_in_with_a_retirement_precheck(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """DOMAIN.md Identifiers: a district code valid now is valid for any birth year; at or
    past the statutory retirement age the case opens and the pre-check fails with its
    source (社会保险法 art. 51(3); the 2024 NPC SC decision), not a refusal at the door."""
    h = await login(api, "clerk")
    sep = (await today(env)) - timedelta(days=3)
    assert date(2025, 9, 1) < sep < date(2029, 1, 10), "CLAIMANTS' expectations need updating"
    cases = []
    for birth, sex, below in CLAIMANTS:
        nid = f.national_id(birth=birth, sex=sex)
        cases.append((birth, sex, below, await _file_both(api, h, nid, sep)))
    example = await _file_both(api, h, ISSUE_EXAMPLE, sep)

    for birth, sex, below, case_id in cases:
        case = await case_when(api, h, case_id, "in_review")
        check = _check(case, "below_retirement_age")
        assert check["passed"] is below, (birth, sex, check)
        assert case["proposal"]["eligible"] is below, (birth, sex, case["proposal"])
        assert "社会保险法 art. 51(3)" in check["source"]
        assert "延迟法定退休年龄" in check["source"]
        if not below:
            assert "a basic pension is due instead" in check["detail"]
            assert all(
                c["passed"] for c in case["proposal"]["checks"] if c["code"] != check["code"]
            )
        if sex == "female":
            assert "women workers" in check["detail"] and "women cadres" in check["detail"]
    case = await case_when(api, h, example, "in_review")
    assert _check(case, "below_retirement_age")["passed"] is True
    assert case["proposal"]["eligible"] is True
    found = await api.post("/api/v1/cases/search", json={"national_id": ISSUE_EXAMPLE}, headers=h)
    assert found.status_code == 200, found.text
    assert [c["case_id"] for c in found.json()] == [example]


async def test_under_16_on_the_separation_date_is_422_naming_the_identity_number(
    api: httpx.AsyncClient, env: WorkflowEnvironment, settings: Settings
) -> None:
    """劳动法 art. 15, seed 000 art. 3: a claimant under 16 on the separation date is not of
    working age: both entry points answer 422 naming the field, and start nothing."""
    h = await login(api, "clerk")
    sep = date(2024, 6, 14)
    young = f.national_id(birth=date(2008, 6, 15), sex="female")  # 15 on 2024-06-14
    for path, body, loc in [
        (
            "/api/v1/employer-reports",
            f.employer_report_json(young, sep),
            ["body", "claimant", "national_id"],
        ),
        ("/api/v1/registrations", f.registration_json(young, sep), ["body", "national_id"]),
    ]:
        resp = await api.post(path, json=body, headers=h)
        assert resp.status_code == 422, resp.text
        [detail] = resp.json()["detail"]
        assert detail["loc"] == loc
        assert "was 15 on the separation date 2024-06-14" in detail["msg"]
        assert "working age of 16" in detail["msg"]
    case_id = IdentityKeys(settings.case_id_key).case_id(young, sep)
    with pytest.raises(RPCError) as err:
        await env.client.get_workflow_handle(ids.case(case_id)).describe()
    assert err.value.status == RPCStatusCode.NOT_FOUND

    recent = (await today(env)) - timedelta(days=3)
    unborn = f.national_id(birth=recent + timedelta(days=400))
    resp = await api.post(
        "/api/v1/registrations", json=f.registration_json(unborn, recent), headers=h
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "national_id"]
    assert "is in the future" in resp.json()["detail"][0]["msg"]
    sixteen = f.national_id(birth=add_months(recent, -16 * 12), sex="male")  # 16 that day
    ok = await api.post(
        "/api/v1/registrations", json=f.registration_json(sixteen, recent), headers=h
    )
    assert ok.status_code == 201, ok.text


async def test_a_separation_date_without_a_policy_in_force_is_422_and_starts_nothing(
    api: httpx.AsyncClient, env: WorkflowEnvironment, settings: Settings
) -> None:
    """Issue 9 §5: 220100's policy starts 2019-01-01; a separation in 2018 would leave the
    workflow's activities retrying forever, so the door refuses it naming separation_date."""
    h = await login(api, "clerk")
    nid, sep = f.national_id(birth=date(1975, 2, 3)), date(2018, 6, 1)
    for path, body in [
        ("/api/v1/employer-reports", f.employer_report_json(nid, sep)),
        ("/api/v1/registrations", f.registration_json(nid, sep)),
    ]:
        resp = await api.post(path, json=body, headers=h)
        assert resp.status_code == 422, resp.text
        [detail] = resp.json()["detail"]
        assert detail["loc"] == ["body", "separation_date"]
        assert "no policy of region 220100 is in force on 2018-06-01" in detail["msg"]
        assert "2019-01-01" in detail["msg"]
    case_id = IdentityKeys(settings.case_id_key).case_id(nid, sep)
    with pytest.raises(RPCError) as err:
        await env.client.get_workflow_handle(ids.case(case_id)).describe()
    assert err.value.status == RPCStatusCode.NOT_FOUND


async def test_bad_identity_numbers_are_422_with_their_reason_in_every_entry_point(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """DOMAIN.md Identifiers: a clear message per failure, naming the field, in employer
    reports, registrations and the identity-number search."""
    h = await login(api, "clerk")
    sep = (await today(env)) - timedelta(days=3)
    bad_region = f.national_id(prefix="220199", birth=date(1970, 1, 1))
    bad_date = "220102197002300010"
    bad_date = bad_date[:-1] + ric.calc_check_digit(bad_date)
    for nid, message in [
        (bad_region, "characters 1-6 (220199) are not a known province"),
        (bad_date, "characters 7-14 (19700230) are not a real birth date"),
        (ISSUE_EXAMPLE[:-1] + "7", "check digit does not match"),
    ]:
        for path, body, loc in [
            (
                "/api/v1/employer-reports",
                f.employer_report_json(nid, sep),
                ["body", "claimant", "national_id"],
            ),
            ("/api/v1/registrations", f.registration_json(nid, sep), ["body", "national_id"]),
            ("/api/v1/cases/search", {"national_id": nid}, ["body", "national_id"]),
        ]:
            resp = await api.post(path, json=body, headers=h)
            assert resp.status_code == 422, (path, resp.text)
            [detail] = resp.json()["detail"]
            assert detail["loc"] == loc, (path, detail)
            assert message in detail["msg"], (path, detail)
