"""The worklist API: filters, sorting, paging, masking, saved filters, assignment, the review
decision and deadline extensions through HTTP (issue: worklist and review)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, delete
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from db.models import Payment, Task
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import eventually, notifications_of, today


async def _case_in_review(
    api: httpx.AsyncClient, env: WorkflowEnvironment, h: dict[str, str], **over: Any
) -> tuple[str, str]:
    nid, sep = f.national_id(), (await today(env)) - timedelta(days=2)
    r = await api.post(
        "/api/v1/employer-reports", json=f.employer_report_json(nid, sep, **over), headers=h
    )
    case_id = r.json()["case_id"]
    await api.post("/api/v1/registrations", json=f.registration_json(nid, sep), headers=h)
    for _ in range(300):
        tasks = (
            await api.get(
                "/api/v1/tasks", params={"case_id": case_id, "kind": "review_claim"}, headers=h
            )
        ).json()
        if tasks:
            return case_id, nid
        await asyncio.sleep(0.05)
    raise AssertionError("no review task")


async def test_worklist_filters_sorting_paging_and_masking(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    with Session(engine) as session:  # this test counts the whole worklist: start it empty
        session.execute(delete(Task))
        session.commit()
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    cases = [await _case_in_review(api, env, clerk) for _ in range(3)]
    resp = await api.get(
        "/api/v1/tasks", params={"group": "reviewer", "status": "open", "limit": 2}, headers=rev
    )
    assert resp.status_code == 200 and resp.headers["X-Total-Count"] == "3"
    page1 = resp.json()
    page2 = (
        await api.get(
            "/api/v1/tasks",
            params={"group": "reviewer", "status": "open", "limit": 2, "offset": 2},
            headers=rev,
        )
    ).json()
    assert len(page1) == 2 and len(page2) == 1
    assert {t["case_id"] for t in page1 + page2} == {c for c, _ in cases}
    dues = [t["due_at"] for t in page1 + page2]
    assert dues == sorted(dues)
    for task, (_, nid) in zip(
        sorted(page1 + page2, key=lambda t: t["case_id"]), sorted(cases), strict=True
    ):
        assert task["national_id_masked"] == nid[:4] + "*" * 10 + nid[-4:]
    assert all(nid not in resp.text for _, nid in cases)
    later = (
        await api.get(
            "/api/v1/tasks",
            params={"group": "reviewer", "due_after": "2999-01-01T00:00:00Z"},
            headers=rev,
        )
    ).json()
    assert later == []
    mine = (await api.get("/api/v1/tasks", params={"assignee": "me"}, headers=rev)).json()
    assert mine == []
    await api.post(f"/api/v1/tasks/{page1[0]['task_id']}/claim", headers=rev)
    mine = (await api.get("/api/v1/tasks", params={"assignee": "me"}, headers=rev)).json()
    assert [t["task_id"] for t in mine] == [page1[0]["task_id"]]
    bad = await api.get("/api/v1/tasks", params={"status": "bogus"}, headers=rev)
    assert bad.status_code == 422


async def test_saved_filters_follow_the_user(api: httpx.AsyncClient) -> None:
    rev = await login(api, "reviewer")
    body = {"name": "my overdue", "filters": {"group": "reviewer", "escalated": True}}
    saved = await api.put("/api/v1/tasks/filters", json=body, headers=rev)
    assert saved.status_code == 200, saved.text
    again = await api.put("/api/v1/tasks/filters", json=body, headers=rev)
    assert again.json()["id"] == saved.json()["id"]
    listed = (await api.get("/api/v1/tasks/filters", headers=rev)).json()
    assert [x["name"] for x in listed] == ["my overdue"]
    other = (await api.get("/api/v1/tasks/filters", headers=await login(api, "clerk"))).json()
    assert other == []
    bad = await api.put(
        "/api/v1/tasks/filters", json={"name": "x", "filters": {"colour": "red"}}, headers=rev
    )
    assert bad.status_code == 422
    gone = await api.delete(f"/api/v1/tasks/filters/{saved.json()['id']}", headers=rev)
    assert gone.status_code == 204


async def test_review_approved_through_the_api_fixes_the_entitlement(
    api: httpx.AsyncClient, env: WorkflowEnvironment
) -> None:
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    case_id, _ = await _case_in_review(api, env, clerk, contribution_months=130)
    task = (await api.get("/api/v1/tasks", params={"case_id": case_id}, headers=rev)).json()[0]
    url = f"/api/v1/tasks/{task['task_id']}/complete"
    unknown = await api.post(
        url, json={"outcome": "reject", "reason": "x", "data": {"reasons": ["x"]}}, headers=rev
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "data", "reasons"]
    ok = await api.post(url, json={"outcome": "approve"}, headers=rev)
    assert ok.status_code == 200, ok.text
    case = await case_when(api, clerk, case_id, "active")
    assert case["entitlement"]["months"] == 24 and case["entitlement"]["monthly_amount"] == "755.00"
    assert case["decision"]["outcome"] == "approve" and case["decision"]["decided_by"] == "reviewer"
    kinds = {d["kind"]: d for d in case["determinations"]}
    assert kinds["review"]["policy_version"] == "220100@2023-10-01"
    assert kinds["precheck"]["outcome"] == "eligible"
    actions = [a["action"] for a in case["audit"]]
    assert "task_opened" in actions and "task_completed" in actions


async def test_assign_and_extend_are_for_supervisors_with_clear_errors(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    clerk, rev, sup = [await login(api, u) for u in ("clerk", "reviewer", "supervisor")]
    case_id, _ = await _case_in_review(api, env, clerk)
    task = (await api.get("/api/v1/tasks", params={"case_id": case_id}, headers=sup)).json()[0]
    url = f"/api/v1/tasks/{task['task_id']}/assign"
    assert (await api.post(url, json={"assignee": "reviewer"}, headers=rev)).status_code == 403
    wrong = await api.post(url, json={"assignee": "finance"}, headers=sup)
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "assignee"]
    ok = await api.post(url, json={"assignee": "reviewer", "reason": "cover"}, headers=sup)
    assert ok.status_code == 200 and ok.json()["assignee"] == "reviewer"
    notes = await eventually(
        lambda: [n for n in notifications_of(engine, case_id) if ":assigned:reviewer:" in n.key]
    )
    assert notes[0].recipient == "reviewer@ui-agency.example"

    ext = f"/api/v1/cases/{case_id}/deadlines/review/extend"
    assert (await api.post(ext, json={"days": 5, "reason": "x"}, headers=rev)).status_code == 403
    assert (await api.post(ext, json={"days": 0, "reason": "x"}, headers=sup)).status_code == 422
    no_reg = f"/api/v1/cases/{case_id}/deadlines/registration/extend"
    met = await api.post(no_reg, json={"days": 5, "reason": "x"}, headers=sup)
    assert met.status_code == 409, met.text
    moved = await api.post(ext, json={"days": 5, "reason": "records pending"}, headers=sup)
    assert moved.status_code == 200, moved.text
    case = await case_when(api, clerk, case_id, "in_review")
    assert case["deadlines"]["review"] == moved.json()["due_date"]
    assert any(e["type"] == "deadline_extended" for e in case["events"])
    unknown = await api.post(
        "/api/v1/cases/nope/deadlines/review/extend", json={"days": 1, "reason": "x"}, headers=sup
    )
    assert unknown.status_code == 409


async def test_check_ins_through_the_api(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """DOMAIN.md stage 5: one check-in per benefit month; a checked-in month is owed once."""
    clerk, rev = await login(api, "clerk"), await login(api, "reviewer")
    case_id, _ = await _case_in_review(api, env, clerk)
    url = f"/api/v1/cases/{case_id}/check-ins"
    # from the registration on (the registration itself stands for month 1's check-in), a
    # check-in in person is recorded once per month, before the approval too
    early = await api.post(url, json={}, headers=clerk)
    assert early.status_code == 201 and early.json()["month"] == 1, early.text
    task = (await api.get("/api/v1/tasks", params={"case_id": case_id}, headers=rev)).json()[0]
    await api.post(
        f"/api/v1/tasks/{task['task_id']}/complete", json={"outcome": "approve"}, headers=rev
    )
    await case_when(api, clerk, case_id, "active")
    assert (await api.post(url, json={}, headers=rev)).status_code == 403
    future = (await today(env)) + timedelta(days=3)
    bad = await api.post(url, json={"date": future.isoformat()}, headers=clerk)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "date"]
    assert (await api.post(url, json={}, headers=clerk)).status_code == 409  # month 1, again
    owed = await eventually(
        lambda: [n for n in _payments_of(engine, case_id)], lambda rows: len(rows) == 1
    )
    assert owed[0].amount == Decimal("755.00") and owed[0].status == "pending"
    case = await case_when(api, clerk, case_id, "active")
    assert [(p["month"], p["amount"], p["status"]) for p in case["payments"]] == [
        (1, "755.00", "pending")
    ]


def _payments_of(engine: Engine, case_id: str) -> list[Payment]:
    with Session(engine) as session:
        return list(session.exec(select(Payment).where(Payment.case_id == case_id)).all())
