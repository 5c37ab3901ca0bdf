"""Only an account's tail (and bank code) reaches task results, audit data and case events;
the full number stays in the payment ledger, which pays it (issue 13 §2)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import JsonValue
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.testing import ActivityEnvironment

from activities.cases import CaseActivities
from activities.payments import PaymentActivities
from activities.worklist import WorklistActivities
from core.identity import IdentityKeys
from core.settings import Settings
from db.models import AuditEntry, CaseEvent, Payment, Task
from payloads.case_state import CaseEventRecord, CaseState
from payloads.payments import ReissueInput
from payloads.records import SyncCaseInput
from payloads.tasks import CloseTaskInput, OpenTaskInput
from policy import PolicyBook
from workflows.claim import ClaimWorkflow

AT = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
NEW_ACCOUNT = "6222020200556677881"
OLD_ACCOUNT = "6222020200998877665"


def _audit(engine: Engine, **where: str) -> list[AuditEntry]:
    with Session(engine) as session:
        stmt = select(AuditEntry)
        for name, value in where.items():
            stmt = stmt.where(col(getattr(AuditEntry, name)) == value)
        return list(session.exec(stmt).all())


def test_a_completed_tasks_result_and_audit_keep_only_the_accounts_tail(engine: Engine) -> None:
    worklist, run = WorklistActivities(engine), ActivityEnvironment().run
    task_id = f"payment_returned-{uuid.uuid4().hex[:10]}"
    run(
        worklist.open_task,
        OpenTaskInput(
            task_id=task_id,
            kind="payment_returned",
            workflow_id="payment-run-x",
            case_id="c1",
            group="finance",
            priority=2,
            title="returned",
            at=AT,
        ),
    )
    account: dict[str, JsonValue] = {
        "bank_code": "ICBC",
        "account_number": NEW_ACCOUNT,
        "account_name": "刘测试",
    }
    run(
        worklist.close_task,
        CloseTaskInput(
            task_id=task_id,
            outcome="reissue",
            actor="finance",
            at=AT,
            data={"bank_account": account},
        ),
    )
    tail = {"bank_code": "ICBC", "account_tail": "7881", "account_name": "刘测试"}
    with Session(engine) as session:
        task = session.get(Task, task_id)
        assert task is not None and task.result == {"bank_account": tail}
    [completed] = _audit(engine, entity_id=task_id, action="task_completed")
    assert completed.data == {"outcome": "reissue", "data": {"bank_account": tail}}
    assert NEW_ACCOUNT not in repr(completed.data)


def test_a_reissue_journals_the_new_accounts_bank_and_tail_and_the_ledger_pays_it(
    engine: Engine, settings: Settings, book: PolicyBook
) -> None:
    case_id, e2e = f"tail{uuid.uuid4().hex[:8]}", f"T{uuid.uuid4().hex[:12]}-001-BE-1"
    with Session(engine) as session:
        session.add(
            Payment(
                case_id=case_id,
                region_code="229900",  # no run gathers there
                month=1,
                period_start=date(2026, 11, 21),
                period_end=date(2026, 12, 20),
                category="benefit",
                amount=Decimal("755.00"),
                status="returned",
                end_to_end_id=e2e,
                bank_code="ICBC",
                account_number=OLD_ACCOUNT,
                account_name="刘测试",
                returned_reason="AC04",
                created_at=AT,
                updated_at=AT,
            )
        )
        session.commit()
    payments = PaymentActivities(engine, settings, book, tell_case=ClaimWorkflow.payment_update)
    status = ActivityEnvironment().run(
        payments.reissue_or_cancel,
        ReissueInput(
            end_to_end_id=e2e,
            at=AT,
            actor="finance",
            bank_code="CCB",
            account_number=NEW_ACCOUNT,
            account_name="刘测试",
        ),
    )
    assert status == "pending"
    [entry] = _audit(engine, entity_id=case_id, action="payment_reissued")
    assert entry.data["account"] == {"bank_code": "CCB", "account_tail": "7881"}
    assert NEW_ACCOUNT not in repr(entry.data) and OLD_ACCOUNT not in repr(entry.data)
    with Session(engine) as session:
        row = session.exec(select(Payment).where(Payment.case_id == case_id)).one()
        assert row.account_number == NEW_ACCOUNT and row.status == "pending"
        session.delete(row)
        session.commit()


def test_case_events_keep_only_the_accounts_tail(engine: Engine, settings: Settings) -> None:
    case_id = f"ev{uuid.uuid4().hex[:10]}"
    state = CaseState(case_id=case_id, status="active", region_code="220100", opened_at=AT)
    state.event_seq = 1
    account: dict[str, JsonValue] = {"bank_code": "ICBC", "account_number": NEW_ACCOUNT}
    state.unsynced_events = [
        CaseEventRecord(seq=1, at=AT, type="bank_account_changed", data={"to": account})
    ]
    cases = CaseActivities(engine, IdentityKeys(settings.case_id_key))
    ActivityEnvironment().run(cases.sync_case, SyncCaseInput(state=state, at=AT))
    with Session(engine) as session:
        [event] = session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()
    assert event.data == {"to": {"bank_code": "ICBC", "account_tail": "7881"}}
