"""Stop events through `POST /api/v1/cases/{id}/events` (issue 11 §1-3; DOMAIN.md "Benefit
months"; seed 000 arts. 23, 26, 35; 社会保险法 art. 51; 条例 art. 15), on the time-skipping
server with the real app and worker: the month containing the day paid pro rata, the later
obligations cancelled, a stop notice; a death's grants by dependents; a job refusal warned
then stopping; the self-employment lump sum paid once; bad input refused, changing nothing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from db.models import Determination, Payment
from db.recovery import ClaimantHistory
from domain.amounts import prorated_amount
from tests.utils import factories as f
from tests.utils.api import case_when, login
from tests.utils.temporal import advance, eventually, notifications_of, state_when, today
from workflows import ids

pytestmark = pytest.mark.asyncio
MONTHLY = Decimal("755.00")  # 220100 from 2023-10-01 (seed 002)
PEOPLE = [  # both sexes, ages from 19 to 59
    ("woman", date(2006, 2, 1)),
    ("man", date(1968, 11, 30)),
    ("woman", date(1979, 7, 7)),
    ("man", date(1995, 1, 20)),
    ("woman", date(1988, 12, 31)),
    ("man", date(1972, 5, 5)),
]
SURVIVOR = {"bank_code": "ICBC", "account_number": "6222020200880000019", "account_name": "刘家属"}


class Office:
    def __init__(self, api: httpx.AsyncClient, env: WorkflowEnvironment) -> None:
        self.api, self.env = api, env
        self.h: dict[str, str] = {}
        self.reviewer: dict[str, str] = {}

    async def sign_in(self) -> Office:
        self.h = await login(self.api, "clerk")
        self.reviewer = await login(self.api, "reviewer")
        return self

    async def active_case(self, sex: str, birth: date) -> str:
        """A case approved today (72 contribution months: 18 months in 220100)."""
        nid, sep = f.national_id_of(sex, birth), await today(self.env)
        report = await self.api.post(
            "/api/v1/employer-reports", json=f.employer_report_json(nid, sep), headers=self.h
        )
        assert report.status_code == 201, report.text
        reg = await self.api.post(
            "/api/v1/registrations", json=f.registration_json(nid, sep), headers=self.h
        )
        assert reg.status_code == 201, reg.text
        case_id = str(reg.json()["case_id"])
        await case_when(self.api, self.h, case_id, "in_review")
        await self.complete(case_id, "review_claim", "approve")
        await case_when(self.api, self.h, case_id, "active")
        return case_id

    async def complete(self, case_id: str, kind: str, outcome: str) -> None:
        task_id = await eventually_task(self.api, self.h, case_id, kind)
        done = await self.api.post(
            f"/api/v1/tasks/{task_id}/complete",
            json={"outcome": outcome, "reason": "checked"},
            headers=self.reviewer,
        )
        assert done.status_code == 200, done.text

    async def event(self, case_id: str, type_: str, on: date, **data: Any) -> httpx.Response:
        body = {"type": type_, "effective_date": on.isoformat(), "data": {"evidence": "DOC-1"}}
        body["data"].update(data)  # type: ignore[attr-defined]
        return await self.api.post(f"/api/v1/cases/{case_id}/events", json=body, headers=self.h)

    def handle(self, case_id: str) -> WorkflowHandle[Any, Any]:
        return self.env.client.get_workflow_handle(ids.case(case_id))


async def eventually_task(
    api: httpx.AsyncClient, h: dict[str, str], case_id: str, kind: str
) -> str:
    for _ in range(600):
        resp = await api.get(
            "/api/v1/tasks", params={"case_id": case_id, "kind": kind, "status": "open"}, headers=h
        )
        assert resp.status_code == 200, resp.text
        if resp.json():
            return str(resp.json()[0]["task_id"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no open {kind} task on {case_id}")


def payments(engine: Engine, case_id: str) -> list[Payment]:
    with Session(engine) as session:
        stmt = (
            select(Payment)
            .where(Payment.case_id == case_id)
            .order_by(col(Payment.month), col(Payment.category))
        )
        return list(session.exec(stmt).all())


def determination(engine: Engine, key: str) -> Determination | None:
    with Session(engine) as session:
        return session.exec(select(Determination).where(Determination.key == key)).first()


async def determined(engine: Engine, key: str) -> Determination:
    det = await eventually(lambda: determination(engine, key))
    assert det is not None
    return det


def notified(engine: Engine, case_id: str, key: str) -> bool:
    return any(n.key == f"{case_id}:{key}" for n in notifications_of(engine, case_id))


def months_owed(engine: Engine, case_id: str) -> list[int]:
    return [p.month for p in payments(engine, case_id)]


def _history(engine: Engine, case_id: str) -> ClaimantHistory | None:
    with Session(engine) as session:
        return session.exec(
            select(ClaimantHistory).where(ClaimantHistory.case_id == case_id)
        ).first()


async def test_each_stop_event_prorates_its_month_and_cancels_the_later_obligations(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Reported late (in month 2, effective in month 1): month 1 pays the days before the
    day, month 2's obligation (not yet sent) is cancelled, nothing was overpaid; the case is
    stopped for the event's reason with a stop notice naming the last paid day."""
    office = await Office(api, env).sign_in()
    types = ["reemployed", "military_service", "emigrated", "pension_started", "imprisoned"]
    cases = [await office.active_case(*PEOPLE[i]) for i in range(len(types))]
    s = await state_when(office.handle(cases[0]), lambda s: s.benefit is not None)
    assert s.benefit is not None
    m1, m2 = s.benefit.months[0], s.benefit.months[1]
    await advance(env, (m2.start - await today(env)).days + 2)
    for case_id in cases:
        resp = await api.post(f"/api/v1/cases/{case_id}/check-ins", json={}, headers=office.h)
        assert resp.status_code == 201, resp.text
    await eventually(lambda: all(months_owed(engine, c) == [1, 2] for c in cases))
    day = m1.start + timedelta(days=10)
    expected = prorated_amount(MONTHLY, m1.start, m1.end, day, "daily", "half_up")
    for case_id, type_ in zip(cases, types, strict=True):
        before = len((await api.get(f"/api/v1/cases/{case_id}", headers=office.h)).json()["events"])
        resp = await office.event(case_id, type_, day)
        assert resp.status_code == 201, resp.text
        assert resp.json()["status"] == "stopping"
        case = await case_when(api, office.h, case_id, "stopped")
        assert case["closure_reason"] == type_
        assert len(case["events"]) > before
        paid = payments(engine, case_id)
        assert [(p.month, p.status, p.amount) for p in paid] == [
            (1, "pending", expected),
            (2, "cancelled", MONTHLY),
        ]
        det = await determined(engine, f"{case_id}:stop_event")
        assert det.result["last_paid_day"] == (day - timedelta(days=1)).isoformat()
        assert det.result["overpayment"] == "0.00"
        notice = await api.get(f"/api/v1/cases/{case_id}/notices/stop", headers=office.h)
        assert notice.status_code == 200, notice.text
        assert "last-paid-day" in notice.text and f"{day.year}年{day.month}月" in notice.text
        pdf = await api.get(f"/api/v1/cases/{case_id}/notices/stop.pdf", headers=office.h)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        again = await office.event(case_id, "reemployed", day)
        assert again.status_code == 409, again.text
        # month 2 began after the day: checked in, cancelled, and left for a later case
        history = await eventually(partial(_history, engine, case_id))
        assert history is not None
        assert (history.used_months, history.unused_months) == (1, history.entitlement_months - 1)
    await eventually(lambda: notified(engine, cases[0], "stop_event"))


async def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    office = await Office(api, env).sign_in()
    case_id = await office.active_case(*PEOPLE[1])
    s = await state_when(office.handle(case_id), lambda s: s.benefit is not None)
    assert s.benefit is not None
    start, last_start = s.benefit.months[0].start, s.benefit.months[-1].start
    now = await today(env)
    bad: list[tuple[str, date, dict[str, Any], list[str]]] = [
        ("fired_into_space", now, {}, ["body", "type"]),
        ("reemployed", start - timedelta(days=1), {}, ["body", "effective_date"]),
        ("reemployed", now + timedelta(days=31), {}, ["body", "effective_date"]),
        (
            "died",
            now,
            {"dependents": -1, "survivor_account": SURVIVOR},
            ["body", "data", "dependents"],
        ),
        (
            "died",
            now,
            {
                "dependents": 1,
                "survivor_account": {**SURVIVOR, "account_number": "6222020200880000018"},
            },
            ["body", "data", "survivor_account", "account_number"],
        ),
        ("self_employed", now, {"uscc": "91110000600037341X"}, ["body", "data", "uscc"]),
    ]
    before = (await api.get(f"/api/v1/cases/{case_id}", headers=office.h)).json()
    for type_, on, data, loc in bad:
        resp = await office.event(case_id, type_, on, **data)
        assert resp.status_code == 422, (type_, resp.text)
        assert resp.json()["detail"][0]["loc"] == loc, (type_, resp.text)
    # a lump sum with no month left: every month has begun by the last month's start
    await advance(env, (last_start - now).days + 1)
    resp = await office.event(case_id, "self_employed", await today(env), uscc=f.USCC)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "effective_date"]
    after = (await api.get(f"/api/v1/cases/{case_id}", headers=office.h)).json()
    kinds = {e["type"] for e in after["events"]}
    assert not kinds & {"stop_event_reported", "offer_refusal_reported", "benefits_stopped"}
    stop_kinds = {"refused_offer_review", "death_grants_review", "lump_sum_review"}
    assert not [t for t in after["tasks"] if t["kind"] in stop_kinds]
    assert after["status"] == before["status"] == "active"
    assert not [p for p in payments(engine, case_id) if p.category != "benefit"]
    assert determination(engine, f"{case_id}:stop_event") is None


@pytest.mark.parametrize(
    ("dependents", "public_service", "funeral", "survivor"),
    [
        (0, False, "5285.00", None),
        (1, False, "5285.00", "3775.00"),
        (2, False, "5285.00", "7550.00"),
        (4, False, "5285.00", "11325.00"),
        (3, True, "9513.00", "20385.00"),
    ],
)
async def test_death_grants_by_dependents_paid_once_to_the_survivor(
    api: httpx.AsyncClient,
    env: WorkflowEnvironment,
    engine: Engine,
    dependents: int,
    public_service: bool,
    funeral: str,
    survivor: str | None,
) -> None:
    """Seed 000 art. 23: funeral grant 7 months, survivor pension 5 per dependent (15 for
    three or more), × 1.8 in public service; approved by a reviewer, owed once each."""
    office = await Office(api, env).sign_in()
    case_id = await office.active_case(*PEOPLE[dependents % len(PEOPLE)])
    on = await today(env) + timedelta(days=3)
    resp = await office.event(
        case_id,
        "died",
        on,
        dependents=dependents,
        public_service=public_service,
        survivor_account=SURVIVOR,
    )
    assert resp.status_code == 201, resp.text
    await office.complete(case_id, "death_grants_review", "approve")
    grants = await eventually(
        lambda: [p for p in payments(engine, case_id) if p.category != "benefit"],
        lambda g: len(g) == (2 if survivor else 1),
    )
    got = {p.category: (str(p.amount), p.account_number) for p in grants}
    assert got["funeral_grant"] == (funeral, SURVIVOR["account_number"])
    if survivor:
        assert got["survivor_pension"] == (survivor, SURVIVOR["account_number"])
    case = await case_when(api, office.h, case_id, "stopped")
    assert case["closure_reason"] == "died"
    [m1] = [p for p in payments(engine, case_id) if p.category == "benefit"]
    assert m1.amount < MONTHLY  # month 1 paid pro rata up to the death


async def test_first_refusal_warns_the_second_stops(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Seed 000 art. 26(4), 条例 art. 15: a reviewer confirms each refusal; the first is a
    warning (a notice), the second stops the case from its day."""
    office = await Office(api, env).sign_in()
    case_id = await office.active_case(*PEOPLE[2])
    first = await today(env)
    resp = await office.event(case_id, "refused_offer", first)
    assert resp.status_code == 201 and resp.json()["status"] == "awaiting_confirmation"
    busy = await office.event(case_id, "refused_offer", first)
    assert busy.status_code == 409, busy.text
    await office.complete(case_id, "refused_offer_review", "confirm")
    await determined(engine, f"{case_id}:refused_offer_warning")
    await eventually(lambda: notified(engine, case_id, "refusal_warning"))
    case = (await api.get(f"/api/v1/cases/{case_id}", headers=office.h)).json()
    assert case["status"] == "active"
    notices = f"/api/v1/cases/{case_id}/notices"
    listed = (await api.get(notices, headers=office.h)).json()
    assert [n["kind"] for n in listed] == ["decision", "warning"]  # the printed warning
    warning = (await api.get(listed[1]["html"], headers=office.h)).text
    assert f"{first.year}年{first.month}月{first.day}日" in warning
    assert "再次无正当理由拒绝" in warning  # what a second refusal does
    await advance(env, 5)
    second = await today(env)
    resp = await office.event(case_id, "refused_offer", second)
    assert resp.status_code == 201, resp.text
    await office.complete(case_id, "refused_offer_review", "confirm")
    case = await case_when(api, office.h, case_id, "stopped")
    assert case["closure_reason"] == "refused_offer"
    det = await determined(engine, f"{case_id}:stop_event")
    assert det.result["effective_date"] == second.isoformat()
    listed = (await api.get(notices, headers=office.h)).json()
    assert [n["kind"] for n in listed] == ["decision", "warning", "stop"]


async def test_self_employment_lump_sum_paid_once_and_the_case_closes(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Seed 000 art. 35: on a licence (USCC) and a reviewer's approval, the months not yet
    begun × the current amount, once, as `lump_sum`."""
    office = await Office(api, env).sign_in()
    case_id = await office.active_case(*PEOPLE[3])
    s = await state_when(office.handle(case_id), lambda s: s.benefit is not None)
    assert s.benefit is not None
    on = await today(env) + timedelta(days=2)
    left = sum(1 for m in s.benefit.months if m.start >= on)
    resp = await office.event(case_id, "self_employed", on, uscc=f.USCC)
    assert resp.status_code == 201, resp.text
    await office.complete(case_id, "lump_sum_review", "approve")
    case = await case_when(api, office.h, case_id, "stopped")
    assert case["closure_reason"] == "self_employed"
    lump = await eventually(
        lambda: [p for p in payments(engine, case_id) if p.category == "lump_sum"]
    )
    assert [p.amount for p in lump] == [MONTHLY * left]
    det = await determined(engine, f"{case_id}:lump_sum")
    assert det.result["lump_sum"] == f"{MONTHLY * left:.2f}"
    closed = await office.event(case_id, "reemployed", on)
    assert closed.status_code == 409, closed.text


async def test_an_unconfirmed_refusal_does_not_count_and_a_stop_closes_one_pending(
    api: httpx.AsyncClient, env: WorkflowEnvironment, engine: Engine
) -> None:
    """Seed 000 art. 26(4) counts refusals without good reason: one the reviewer does not
    confirm neither warns nor counts; a refusal still awaiting confirmation when the case
    stops for another reason is closed unjudged."""
    office = await Office(api, env).sign_in()
    case_id = await office.active_case(*PEOPLE[4])
    day = await today(env)
    resp = await office.event(case_id, "refused_offer", day)
    assert resp.status_code == 201, resp.text
    await office.complete(case_id, "refused_offer_review", "reject")
    await advance(env, 2)
    resp = await office.event(case_id, "refused_offer", await today(env))
    assert resp.status_code == 201, resp.text
    await office.complete(case_id, "refused_offer_review", "confirm")
    await determined(engine, f"{case_id}:refused_offer_warning")  # the first one counted
    case = (await api.get(f"/api/v1/cases/{case_id}", headers=office.h)).json()
    assert case["status"] == "active"
    resp = await office.event(case_id, "refused_offer", await today(env))
    assert resp.status_code == 201, resp.text
    resp = await office.event(case_id, "emigrated", await today(env))
    assert resp.status_code == 201, resp.text
    case = await case_when(api, office.h, case_id, "stopped")
    assert case["closure_reason"] == "emigrated"
    reviews = [t for t in case["tasks"] if t["kind"] == "refused_offer_review"]
    assert [t["status"] for t in reviews] == ["completed"] * 3
    assert sorted(t["outcome"] for t in reviews) == ["case_stopped", "confirm", "reject"]
    assert determination(engine, f"{case_id}:stop_event") is not None
