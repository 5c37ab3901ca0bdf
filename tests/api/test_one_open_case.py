"""One person, one open case (issue 9 §4), through the REST API on the time-skipping server:
a report and a registration that differ only in the separation date meet in one case with a
`separation_date_mismatch` task; a parallel intake while a case is open is 409 naming it; a
new separation after a closed case opens a new case; two intakes at once make one case."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from db.open_cases import OpenCase
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import today

pytestmark = pytest.mark.asyncio
H = dict[str, str]


async def _tasks(api: httpx.AsyncClient, h: H, case_id: str, kind: str) -> list[dict[str, Any]]:
    for _ in range(600):  # a generous bound for a loaded machine, not a timing check
        resp = await api.get("/api/v1/tasks", params={"case_id": case_id, "kind": kind}, headers=h)
        if resp.json():
            return list(resp.json())
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {kind} task for {case_id}")


async def _file(api: httpx.AsyncClient, h: H, which: str, nid: str, sep: date) -> httpx.Response:
    if which == "report":
        return await api.post(
            "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=h
        )
    return await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=h)


async def _cases_of(api: httpx.AsyncClient, h: H, nid: str, *expected: str) -> list[str]:
    """The person's cases, once each expected one is in the read model."""
    for case_id in expected:
        for _ in range(600):
            if (await api.get(f"/api/v1/cases/{case_id}", headers=h)).status_code == 200:
                break
            await asyncio.sleep(0.05)
    found = await api.post("/api/v1/cases/search", json={"national_id": nid}, headers=h)
    assert found.status_code == 200, found.text
    return sorted(c["case_id"] for c in found.json())


async def _review(api: httpx.AsyncClient, case_id: str, outcome: str, **extra: Any) -> None:
    rev = await login(api, "reviewer")
    [task] = await _tasks(api, rev, case_id, "review_claim")
    done = await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete", json={"outcome": outcome, **extra}, headers=rev
    )
    assert done.status_code == 200, done.text


async def test_employer_says_one_day_claimant_the_next_one_case_one_task(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """The employer reports the 20th, the claimant registers with the 21st: one case, one
    `separation_date_mismatch` task for the clerks; a date that is neither is refused naming
    data.separation_date; the chosen date becomes the case's and the review goes on."""
    clerk = await login(api, "clerk")
    nid = f.national_id_of("woman", date(1968, 3, 9))
    employer_says = (await today(env)) - timedelta(days=10)
    claimant_says = employer_says + timedelta(days=1)
    r1 = await _file(api, clerk, "report", nid, employer_says)
    assert r1.status_code == 201, r1.text
    case_id = r1.json()["case_id"]
    r2 = await _file(api, clerk, "registration", nid, claimant_says)
    assert r2.status_code == 201, r2.text
    assert r2.json()["case_id"] == case_id
    assert await _cases_of(api, clerk, nid, case_id) == [case_id]
    [task] = await _tasks(api, clerk, case_id, "separation_date_mismatch")
    assert task["group"] == "clerk"
    url = f"/api/v1/tasks/{task['task_id']}/complete"
    neither = (employer_says - timedelta(days=1)).isoformat()
    bad = await api.post(
        url, json={"outcome": "resolved", "data": {"separation_date": neither}}, headers=clerk
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"][0]["loc"][-2:] == ["data", "separation_date"]
    ok = await api.post(
        url,
        json={
            "outcome": "resolved",
            "reason": "the termination notice says the 20th",
            "data": {"separation_date": employer_says.isoformat()},
        },
        headers=clerk,
    )
    assert ok.status_code == 200, ok.text
    case = await case_when(api, clerk, case_id, "in_review")
    assert case["separation_date"] == employer_says.isoformat()
    types = [e["type"] for e in case["events"]]
    assert types.count("separation_date_mismatch") == 1
    settled = [e for e in case["events"] if e["type"] == "separation_date_settled"]
    assert settled[0]["data"]["separation_date"] == employer_says.isoformat()
    assert settled[0]["actor"] == "clerk"
    tasks = await api.get(
        "/api/v1/tasks",
        params={"case_id": case_id, "kind": "separation_date_mismatch"},
        headers=clerk,
    )
    assert len(tasks.json()) == 1


async def test_the_claimants_date_chosen_drives_the_employer_deadline(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Registration first (the 21st), then the report (the 20th): the clerk chooses the
    claimant's date, and the employer's 15 days are counted again from it."""
    clerk = await login(api, "clerk")
    nid = f.national_id_of("man", date(1990, 7, 1))
    claimant_says = (await today(env)) - timedelta(days=9)
    employer_says = claimant_says - timedelta(days=1)
    r1 = await _file(api, clerk, "registration", nid, claimant_says)
    case_id = r1.json()["case_id"]
    r2 = await _file(api, clerk, "report", nid, employer_says)
    assert r2.status_code == 201 and r2.json()["case_id"] == case_id, r2.text
    [task] = await _tasks(api, clerk, case_id, "separation_date_mismatch")
    ok = await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete",
        json={"outcome": "resolved", "data": {"separation_date": claimant_says.isoformat()}},
        headers=clerk,
    )
    assert ok.status_code == 200, ok.text
    case = await case_when(api, clerk, case_id, "in_review")
    assert case["separation_date"] == claimant_says.isoformat()
    assert case["deadline_details"]["employer_report"]["start"] == claimant_says.isoformat()
    assert case["deadline_details"]["employer_report"]["met_on"] is not None


async def test_a_parallel_intake_while_a_case_is_open_is_409_naming_it(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """While the case is in intake and while it is `active`, an intake with another
    separation date is a parallel case: 409 with the open case's ID, and nothing opened. A
    repeat of the same submission still answers the open case."""
    clerk = await login(api, "clerk")
    nid = f.national_id_of("man", date(1975, 11, 30))
    sep = (await today(env)) - timedelta(days=5)
    first = await _file(api, clerk, "registration", nid, sep)
    case_id = first.json()["case_id"]
    other = await _file(api, clerk, "registration", nid, sep - timedelta(days=2))
    assert other.status_code == 409, other.text
    assert case_id in other.json()["detail"]
    far = await _file(api, clerk, "report", nid, sep - timedelta(days=90))
    assert far.status_code == 409 and case_id in far.json()["detail"], far.text
    assert (await _file(api, clerk, "report", nid, sep)).json()["case_id"] == case_id
    await _review(api, case_id, "approve")
    await case_when(api, clerk, case_id, "active")
    for which in ("report", "registration"):
        again = await _file(api, clerk, which, nid, sep + timedelta(days=3))
        assert again.status_code == 409, again.text
        assert case_id in again.json()["detail"]
    assert (await _file(api, clerk, "registration", nid, sep)).json()["case_id"] == case_id
    assert await _cases_of(api, clerk, nid) == [case_id]
    with Session(engine) as session:
        rows = session.exec(select(OpenCase).where(OpenCase.case_id == case_id)).all()
    assert len(rows) == 1


async def test_a_new_separation_after_a_closed_case_opens_a_new_case(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Rejected on review, the case is closed: the person's next separation opens a case."""
    clerk = await login(api, "clerk")
    nid = f.national_id_of("woman", date(1999, 12, 31), "220104")
    sep = (await today(env)) - timedelta(days=8)
    await _file(api, clerk, "report", nid, sep)
    case_id = (await _file(api, clerk, "registration", nid, sep)).json()["case_id"]
    await _review(api, case_id, "reject", reason="contributions not verified")
    await case_when(api, clerk, case_id, "rejected")
    with Session(engine) as session:
        assert session.exec(select(OpenCase).where(OpenCase.case_id == case_id)).first() is None
    later = sep + timedelta(days=5)
    new = await _file(api, clerk, "registration", nid, later)
    assert new.status_code == 201, new.text
    assert new.json()["case_id"] != case_id
    await case_when(api, clerk, new.json()["case_id"], "awaiting_employer_report")
    both = sorted([case_id, new.json()["case_id"]])
    assert await _cases_of(api, clerk, nid, *both) == both


async def test_two_intakes_at_once_make_one_case(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    """Filed at the same moment (the register's claims run in parallel threads): a report and
    a registration, with the same or a neighbouring date, make one case; two registrations
    with different dates make one case and one 409."""
    clerk = await login(api, "clerk")
    sep = (await today(env)) - timedelta(days=6)
    people = [
        (f.national_id_of("man", date(1960, 5, 5)), 0),
        (f.national_id_of("woman", date(1982, 2, 28)), 1),
        (f.national_id_of("man", date(2001, 9, 9)), 0),
        (f.national_id_of("woman", date(1971, 1, 1)), 2),
    ]
    for nid, apart in people:
        a, b = await asyncio.gather(
            _file(api, clerk, "report", nid, sep),
            _file(api, clerk, "registration", nid, sep + timedelta(days=apart)),
        )
        assert a.status_code == b.status_code == 201, (a.text, b.text)
        assert a.json()["case_id"] == b.json()["case_id"]
        assert await _cases_of(api, clerk, nid, a.json()["case_id"]) == [a.json()["case_id"]]
    nid = f.national_id_of("man", date(1988, 8, 8))
    answers = await asyncio.gather(
        _file(api, clerk, "registration", nid, sep),
        _file(api, clerk, "registration", nid, sep + timedelta(days=1)),
    )
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    [opened] = [r.json()["case_id"] for r in answers if r.status_code == 201]
    [refused] = [r.json()["detail"] for r in answers if r.status_code == 409]
    assert opened in refused
    assert await _cases_of(api, clerk, nid, opened) == [opened]


async def test_a_lapsed_case_is_open_until_its_late_registration_is_refused(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """A lapsed case still takes a late registration, so it is open: another separation is
    409. Once the supervisor refuses the late registration the case has ended (the register
    row goes with the case's last sync) and the next separation opens a new case."""
    clerk, sup = await login(api, "clerk"), await login(api, "supervisor")
    nid = f.national_id_of("man", date(1958, 4, 1))  # past retirement age: still let in
    sep = await today(env)
    case_id = (await _file(api, clerk, "report", nid, sep)).json()["case_id"]
    await case_when(api, clerk, case_id, "awaiting_registration")
    admin = await login(api, "admin")  # only admins move the simulated clock
    adv = await api.post("/api/v1/sim/clock/advance", json={"days": 35}, headers=admin)
    assert adv.status_code == 200, adv.text
    await case_when(api, clerk, case_id, "lapsed")
    other = await _file(api, clerk, "report", nid, sep + timedelta(days=20))
    assert other.status_code == 409 and case_id in other.json()["detail"], other.text
    late = await _file(api, clerk, "registration", nid, sep)
    assert late.status_code == 201 and late.json()["case_id"] == case_id, late.text
    [task] = await _tasks(api, sup, case_id, "late_registration")
    refused = await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete",
        json={"outcome": "refuse", "reason": "no justification given"},
        headers=sup,
    )
    assert refused.status_code == 200, refused.text
    for _ in range(600):  # the case's last sync releases its row (a bound, not a timing check)
        with Session(engine) as session:
            if session.exec(select(OpenCase).where(OpenCase.case_id == case_id)).first() is None:
                break
        await asyncio.sleep(0.05)
    else:
        case = (await api.get(f"/api/v1/cases/{case_id}", headers=clerk)).json()
        raise AssertionError(
            f"the ended case kept its place in the register: {case['status']} "
            f"{[e['type'] for e in case['events']]}"
        )
    new = await _file(api, clerk, "report", nid, sep + timedelta(days=20))
    assert new.status_code == 201, new.text
    assert new.json()["case_id"] != case_id
