"""Medical money beyond the monthly premium, on the time-skipping server with the agency and
the bank over real HTTP: a duplicate premium refunded to the fund after 初审 and 复审 by two
different people (seed 000 范文1 §4.5, 范文4), and the ≤ 3-month cash option paid to the
claimant with the benefit (范文1 §4.6)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlmodel import Session, col, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from db.models import AuditEntry, Payment
from domain.calendar import AGENCY_TZ
from domain.medical import month_key
from payloads.medical import CashOptionInput
from payloads.payments import PaymentRunInput
from payloads.tasks import CompleteTaskInput
from tests.workflows import medical_stack
from tests.workflows.medical_stack import (
    ACCOUNT,
    REGION,
    MedicalStack,
    advance,
    complete,
    eventually,
    found,
    keep_history,
    lines,
    premiums,
    start_declaration,
    task_of,
    this_month,
)
from workflows import ids
from workflows.payment_run import PaymentRunWorkflow

database_url, engine, settings, stack = medical_stack.FIXTURES


async def test_a_duplicate_premium_becomes_a_refund_approved_by_two_people(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """范文1 §4.5: the agency reports that the employer paid the month too; the duplicate
    part becomes a `refund` entry to the fund, pending until 初审 (finance) and 复审 by
    someone else approve it (范文4: 初审、复审后...审批后执行). The premium itself stays owed."""
    now, month = await env.get_current_time(), await this_month(env)
    cover = stack.enrol("medG0000000000000001", month.replace(day=6), now)
    other = stack.enrol("medG0000000000000002", month.replace(day=7), now)
    await stack.agency(
        "POST",
        "/admin/mode",
        json={"duplicates": [{"person_ref": cover.person_ref, "month": f"{month:%Y-%m}"}]},
    )
    async with stack.worker():
        handle = await start_declaration(env, task_queue, month)
        first = await found(lambda: task_of(stack.engine, "medical_refund_review"))
        refund = _refund(stack, cover.case_id)
        assert refund is not None
        assert (refund.status, refund.amount, refund.month) == (
            "pending_approval",
            Decimal("357.00"),
            month_key(month),
        )
        assert first.group == "finance" and refund.end_to_end_id in first.task_id
        assert [ln.duplicate_premium for ln in lines(stack.engine, cover.case_id)] == [
            Decimal("357.00")
        ]
        assert {p.case_id for p in premiums(stack.engine)} == {cover.case_id, other.case_id}

        clerk = await complete(stack, first.task_id, "clerk", outcome="approve")
        assert clerk.status_code == 403, clerk.text
        done = await complete(stack, first.task_id, "finance", outcome="approve")
        assert done.status_code == 200, done.text
        second = await found(lambda: task_of(stack.engine, "medical_refund_approval"))
        assert getattr(_refund(stack, cover.case_id), "status", None) == "pending_approval"
        same = await complete(stack, second.task_id, "finance", outcome="approve")
        assert same.status_code == 403 and "初审" in same.text
        no_reason = await complete(stack, second.task_id, "finance2", outcome="reject")
        assert no_reason.status_code == 422, no_reason.text
        done = await complete(stack, second.task_id, "finance2", outcome="approve")
        assert done.status_code == 200, done.text
        st = await handle.result()
        await keep_history("refund_two_reviews", handle)
    assert st.refunds == [refund.end_to_end_id]
    assert getattr(_refund(stack, cover.case_id), "status", None) == "approved"
    assert _refund(stack, other.case_id) is None
    with Session(stack.engine) as session:
        actions = session.exec(
            select(AuditEntry.action, AuditEntry.actor).where(
                col(AuditEntry.key).startswith(f"payment:{refund.end_to_end_id}:")
            )
        ).all()
    assert set(actions) == {
        ("refund_reported", "medical_agency"),
        ("refund_first_review_approve", "finance"),
        ("refund_second_review_approve", "finance2"),
    }


def _refund(stack: MedicalStack, case_id: str) -> Payment | None:
    with Session(stack.engine) as session:
        stmt = select(Payment).where(Payment.case_id == case_id, Payment.category == "refund")
        return session.exec(stmt).first()


async def test_the_cash_option_pays_the_premium_to_the_claimant_with_the_benefit(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """范文1 §4.6 (1): 3 months or less left, insured elsewhere, on written request: the
    premium is not declared to the agency but owed to the claimant each month, and the
    normal payment run pays it to their account."""
    now, month = await env.get_current_time(), await this_month(env)
    cash = stack.enrol("medH0000000000000001", month.replace(day=2), now, account_name="王测试")
    declared = stack.enrol("medH0000000000000002", month.replace(day=3), now)
    record = stack.coverage().record_cash_option
    request = CashOptionInput(
        case_id=cash.case_id,
        requested_on=month.replace(day=2),
        months_left=4,
        insured_elsewhere="flexible_employment",
        actor="clerk",
        at=now,
    )
    with pytest.raises(ApplicationError, match="4 benefit months are left"):
        ActivityEnvironment().run(record, request)
    request.months_left = 3
    view = ActivityEnvironment().run(record, request)
    assert view.cash_option
    async with stack.worker():
        st = await (await start_declaration(env, task_queue, month)).result()
        assert st.cash_premiums == 1 and st.accepted == 1
        assert lines(stack.engine, cash.case_id) == []
        [owed] = [p for p in premiums(stack.engine) if p.case_id == cash.case_id]
        assert (owed.account_number, owed.account_name, owed.amount) == (
            ACCOUNT,
            "王测试",
            Decimal("357.00"),
        )
        people = await stack.agency("GET", "/admin/people")
        assert [p["person_ref"] for p in people] == [declared.person_ref]
        again = ActivityEnvironment().run(record, request)  # recorded once
        assert again.cash_option
        with pytest.raises(ApplicationError, match="declared to the medical agency"):
            ActivityEnvironment().run(record, _request_for(declared.case_id, request))
        await _paid_to_the_claimant(env, stack, task_queue)


def _request_for(case_id: str, request: CashOptionInput) -> CashOptionInput:
    return CashOptionInput(**{**request.__dict__, "case_id": case_id})


async def _paid_to_the_claimant(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    today = (await env.get_current_time()).astimezone(AGENCY_TZ).date()
    run_id = f"R{REGION}-{today:%Y%m%d}-cash"
    run = await env.client.start_workflow(
        PaymentRunWorkflow.run,
        PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=today),
        id=ids.payment_run(run_id),
        task_queue=task_queue,
    )
    release = await found(lambda: task_of(stack.engine, "payment_run_release", run_id))
    await run.execute_update(
        PaymentRunWorkflow.complete_task,
        CompleteTaskInput(
            task_id=release.task_id, outcome="release", actor="finance", actor_roles=["finance"]
        ),
    )
    txs = await eventually(
        lambda: httpx.get(f"{stack.bank_url}/admin/transactions").json(), lambda t: len(t) == 2
    )
    assert {t["creditor_account"] for t in txs} == {ACCOUNT, "6222020200880000019"}
    await advance(env, 0.1)
    settled = await eventually(
        lambda: premiums(stack.engine), lambda ps: {p.status for p in ps} == {"settled"}
    )
    assert len(settled) == 2
