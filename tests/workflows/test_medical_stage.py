"""The case's medical stage (workflows/claim/medical.py; DOMAIN.md stage 6, seed 000 范文1;
issue 12 §1) on the time-skipping server, through the REST API, with the simulated agency and
bank over HTTP: enrolment when the case becomes active, one declaration a month, the stop when
benefits end with the continuation note in the claimant's notice, and the ≤ 3-month cash
option recorded by a clerk."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from db.medical import MedicalCoverage
from domain.medical import month_start, premium_months
from tests.pages.helpers import csrf_of, page_login
from tests.utils import factories as f
from tests.utils.temporal import notifications_of, state_when, today
from tests.workflows import medical_stack
from tests.workflows.medical_stack import (
    REGION,
    MedicalStack,
    advance,
    coverage_status,
    eventually,
    found,
    keep_case_history,
    lines,
    login,
    premiums,
    start_declaration,
)
from workflows import ids
from workflows.medical_calendar import ensure_medical_calendar

database_url, engine, settings, stack = medical_stack.FIXTURES


def _coverage(engine: Engine, case_id: str) -> MedicalCoverage | None:
    with Session(engine) as session:
        stmt = select(MedicalCoverage).where(MedicalCoverage.case_id == case_id)
        return session.exec(stmt).first()


async def _approved_case(
    env: WorkflowEnvironment, stack: MedicalStack, web: httpx.AsyncClient, nid: str
) -> tuple[str, Any]:
    """A case through intake and review by the API (30 contribution months: 12 months)."""
    clerk = await login(stack.api_url, "clerk")
    reviewer = await login(stack.api_url, "reviewer")
    sep = await today(env)
    made = await web.post(
        "/api/v1/employer-reports",
        json=f.employer_report_json(nid, sep, contribution_months=30),
        headers=clerk,
    )
    assert made.status_code == 201, made.text
    case_id = made.json()["case_id"]
    reg = await web.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=clerk)
    assert reg.status_code == 201, reg.text
    handle = env.client.get_workflow_handle(ids.case(case_id))
    s = await state_when(handle, lambda s: any(t.startswith("review_claim") for t in s.tasks))
    review = next(t for t in s.tasks if t.startswith("review_claim"))
    done = await web.post(
        f"/api/v1/tasks/{review}/complete", json={"outcome": "approve"}, headers=reviewer
    )
    assert done.status_code == 200, done.text
    s = await state_when(handle, lambda s: s.medical is not None and s.medical.enrolled)
    return case_id, s


async def _check_in_through(
    env: WorkflowEnvironment,
    stack: MedicalStack,
    web: httpx.AsyncClient,
    case_id: str,
    months: Any,
    upto: int,
) -> None:
    """Advance into each month up to `upto` and check the claimant in there."""
    clerk = await login(stack.api_url, "clerk")
    for ms in months[:upto]:
        day = await today(env)
        target = ms.start + timedelta(days=2)
        if day < target:
            await advance(env, (target - day).days)
        if ms.month == 1:
            continue  # the registration is month 1's check-in
        resp = await web.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=clerk)
        assert resp.status_code == 201, resp.text


async def test_cover_lives_exactly_as_long_as_the_benefit_declared_each_month(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """Enrolled when the case becomes active (from the benefit's first day), declared and
    owed once a month by the region's calendar, stopped (停保) the day after the last
    benefit month with the continuation note in the claimant's notice; no premium after."""
    nid = f.national_id_of("woman", date(1976, 5, 4))  # 50
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=60) as web:
        await ensure_medical_calendar(env.client, task_queue, only=[REGION])
        case_id, s = await _approved_case(env, stack, web, nid)
        start = s.benefit.months[0].start
        cover = _coverage(stack.engine, case_id)
        assert cover is not None and cover.start_date == start and cover.stop_date is None
        months = s.benefit.months
        last_day = months[-1].end
        await _check_in_through(env, stack, web, case_id, months, 12)
        handle = env.client.get_workflow_handle(ids.case(case_id))
        await advance(env, (months[-1].end - await today(env)).days + 1)
        s = await state_when(
            handle, lambda s: s.status == "exhausted" and bool(s.medical and s.medical.stopped)
        )
        assert s.medical is not None and s.medical.stop_date == last_day
        # the stop is declared in its month's window; nothing is owed after it
        await advance(env, 35)
        await eventually(lambda: coverage_status(stack.engine, case_id), lambda v: v == "stopped")
        await keep_case_history("medical_cover_stopped", handle)

    cover = _coverage(stack.engine, case_id)
    assert cover is not None and cover.stop_date == last_day
    owed = [p for p in premiums(stack.engine) if p.case_id == case_id]
    rule = stack.book.region(REGION).at(start).medical
    expected = premium_months(start, last_day, last_day, rule.partial_month)
    assert len(owed) == len(expected) >= 12
    assert len({p.month for p in owed}) == len(owed)  # each month once
    assert all(p.period_start < last_day for p in owed)  # no premium after the stop
    actions = [(ln.action, ln.month) for ln in lines(stack.engine, case_id)]
    assert [a for a, _ in actions].count("enrol") == 1
    assert [a for a, _ in actions].count("stop") == 1
    assert min(m for a, m in actions if a == "stop") >= month_start(last_day)
    told = [n for n in notifications_of(stack.engine, case_id) if "medical_stopped" in n.key]
    assert told and "无等待期" in told[0].body and "no waiting" in told[0].body


async def test_the_cash_option_needs_three_months_left_and_a_written_request(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """范文1 §4.6: refused with 12 months left (the field named), recorded by a clerk with 3
    left; the month's declaration then owes the premiums to the claimant, not the agency."""
    nid = f.national_id_of("man", date(2000, 1, 20))  # 26
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=60) as web:
        case_id, s = await _approved_case(env, stack, web, nid)
        clerk = await login(stack.api_url, "clerk")
        reviewer = await login(stack.api_url, "reviewer")
        url = f"/api/v1/cases/{case_id}/medical/cash-option"
        body = {
            "requested_on": (await today(env)).isoformat(),
            "insured_elsewhere": "urban_resident",
        }
        early = await web.post(url, json=body, headers=clerk)
        assert early.status_code == 422, early.text
        assert early.json()["detail"][0]["loc"] == ["body", "cash_option"]
        assert "12 benefit months are left" in early.json()["detail"][0]["msg"]
        assert (await web.post(url, json=body, headers=reviewer)).status_code == 403

        months = s.benefit.months
        await _check_in_through(env, stack, web, case_id, months, 10)  # into month 10: 3 left
        on = await today(env)
        unknown = await web.post(
            url, json={"requested_on": on.isoformat(), "insured_elsewhere": "none"}, headers=clerk
        )
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == (
            "cash_option"
        )
        future = {"requested_on": (on + timedelta(days=3)).isoformat(), "insured_elsewhere": "x"}
        resp = await web.post(url, json=future, headers=clerk)
        assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == "requested_on"
        body["requested_on"] = on.isoformat()
        # recorded by the clerk's form on the case page (the written request ticked)
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as browser:
            await page_login(browser, "clerk")
            page = await browser.get(f"/staff/cases/{case_id}")
            assert 'id="cash-option-form"' in page.text
            sent = await browser.post(
                f"/staff/cases/{case_id}/medical/cash-option",
                data={**body, "written_request": "true", "csrf_token": csrf_of(page.text)},
            )
            assert sent.status_code == 303, sent.text
            page = await browser.get(sent.headers["location"])
            assert "剩余 3 个月医疗保险费发给本人" in page.text
            assert 'id="cash-option-form"' not in page.text
        again = await web.post(url, json=body, headers=clerk)
        assert again.status_code == 409, again.text
        cover = _coverage(stack.engine, case_id)
        assert cover is not None and cover.cash_option
        await keep_case_history(
            "medical_cash_option", env.client.get_workflow_handle(ids.case(case_id))
        )

        handle = await start_declaration(env, task_queue, month_start(on))
        await handle.result()
        owed = await found(
            lambda: [p for p in premiums(stack.engine) if p.case_id == case_id] or None
        )
    assert not lines(stack.engine, case_id)  # not declared to the agency
    assert owed and all(p.account_number == medical_stack.ACCOUNT for p in owed)
