"""A check-in at the destination of a cross-province transfer before its clerk accepts it
(workflows/claim/check_ins.py, workflows/claim/transfer.py; DOMAIN.md stage 9 and "Benefit
months"): it is kept against the carried month whose period holds its day, answered in the
destination's numbering, shown by the next GET, made once for one request, and on acceptance
that month stays checked in on the claimant's day (not waived, not missed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.utils import factories as f
from tests.utils.temporal import state_when, today
from tests.workflows import medical_stack
from tests.workflows.medical_stack import (
    MedicalStack,
    advance,
    found,
    keep_case_history,
    login,
    task_of,
)
from tests.workflows.test_medical_stage import _approved_case, _check_in_through
from tests.workflows.test_transfers import _ledger, _month
from workflows import ids

database_url, engine, settings, stack = medical_stack.FIXTURES


def _check_ins(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's check-in events made by people (not the registration's or acceptance's)."""
    return [
        e["data"]
        for e in case["events"]
        if e["type"] == "checked_in" and e["data"].get("channel") != "registration"
    ]


async def test_a_check_in_at_the_destination_before_the_acceptance_is_kept_with_its_month(
    env: WorkflowEnvironment, stack: MedicalStack
) -> None:
    """220100 → 330100 during month 3 (months 1-2 owed by the source): the claimant checks in
    at the destination's case before its clerk accepts. The answer is the destination's month
    1 (the source's month 3, its period), the same request again is the same check-in, a
    second one that month is refused, a day outside the carried months is refused; the next
    GET shows it. Accepted after month 3 ended, month 1 stays checked in on the claimant's
    day, is owed once, and nothing is counted missed."""
    nid = f.national_id_of("man", date(1982, 6, 14))  # 44
    async with stack.worker(), httpx.AsyncClient(base_url=stack.api_url, timeout=120) as web:
        clerk = await login(stack.api_url, "clerk")
        case_id, s = await _approved_case(env, stack, web, nid)
        months = s.benefit.months
        await _check_in_through(env, stack, web, case_id, months, 2)
        await found(lambda: [p for p in _ledger(stack.engine, case_id) if p.month == 2] or None)
        await advance(env, (months[2].start - await today(env)).days + 3)
        resp = await web.post(
            f"/api/v1/cases/{case_id}/transfers", json={"to_region_code": "330100"}, headers=clerk
        )
        assert resp.status_code == 201, resp.text
        dest = resp.json()["destination_case_id"]
        source = env.client.get_workflow_handle(ids.case(case_id))
        await state_when(source, lambda s: s.status == "transferred_out")
        task = await found(lambda: task_of(stack.engine, "transfer_in", dest))

        day = await today(env)
        url = f"/api/v1/cases/{dest}/check-ins"
        key = {**clerk, "Idempotency-Key": f"dest-visit-{dest}"}
        first = await web.post(url, json={}, headers=key)
        assert first.status_code == 201, first.text
        assert first.json() == {
            "month": 1,
            "period_start": months[2].start.isoformat(),
            "period_end": months[2].end.isoformat(),  # exclusive, as every check-in answer
            "on": day.isoformat(),
        }
        again = await web.post(url, json={}, headers=key)
        assert again.status_code == 201 and again.json() == first.json(), again.text
        twice = await web.post(url, json={}, headers=clerk)
        assert twice.status_code == 409, twice.text
        assert "already checked in" in twice.json()["detail"]
        before = await web.post(
            url, json={"date": (months[2].start - timedelta(days=1)).isoformat()}, headers=clerk
        )
        assert before.status_code == 422, before.text
        case = (await web.get(f"/api/v1/cases/{dest}", headers=clerk)).json()
        assert [(c["month"], c["on"]) for c in _check_ins(case)] == [(1, day.isoformat())]

        await advance(env, (months[2].end - day).days + 2)  # accepted after month 3 ended
        done = await web.post(
            f"/api/v1/tasks/{task.task_id}/complete", json={"outcome": "accept"}, headers=clerk
        )
        assert done.status_code == 200, done.text
        destination = env.client.get_workflow_handle(ids.case(dest))
        d = await state_when(destination, lambda d: d.status == "active")
        one, two = _month(d, 1), _month(d, 2)
        assert one.start == months[2].start
        assert (one.status, one.check_in, one.by_registration) == ("checked_in", day, False)
        assert (two.status, two.by_registration) == ("checked_in", True)
        await found(lambda: [p for p in _ledger(stack.engine, dest) if p.month == 1] or None)
        await state_when(destination, lambda d: _month(d, 1).owed)
        case = (await web.get(f"/api/v1/cases/{dest}", headers=clerk)).json()
        assert [(c["month"], c["on"]) for c in _check_ins(case)] == [(1, day.isoformat())]
        await keep_case_history("transfer_check_in_before_acceptance", destination)
    dst = [p for p in _ledger(stack.engine, dest) if p.category == "benefit"]
    assert [p.month for p in dst if p.month == 1] == [1]
