"""A medical batch's assembly run again (a retry after a crash, a local step run again)
finds the batch made before and answers what the first run answered: its lines, premium
total and the month's cash-option premiums owed to claimants instead (范文1 §4.6), which
the batch keeps (medical_declarations.cash_premiums)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.medical_batches import MedicalBatchActivities
from db.medical import MedicalCoverage, MedicalDeclaration
from payloads.medical import AssembleInput
from policy import PolicyBook

REGION = "220100"
MONTH = date(2031, 5, 1)  # no other test's batch for this region and month
AT = datetime(2031, 5, 12, 2, 0, tzinfo=UTC)


def test_an_assembly_run_again_answers_the_same_cash_premiums(
    engine: Engine, book: PolicyBook
) -> None:
    """A cover on the cash option from March: March to May owed to the claimant by the
    first assembly (3); run again, the batch found answers 3, not 0."""
    case_id = "mb" + uuid.uuid4().hex[:10]
    with Session(engine) as session:
        session.add(
            MedicalCoverage(
                case_id=case_id,
                region_code=REGION,
                person_ref=uuid.uuid4().hex,
                national_id="110101199003070000",
                name="张三",
                start_date=date(2031, 3, 1),
                status="enrolled",
                cash_option=True,
                created_at=AT,
                updated_at=AT,
            )
        )
        session.commit()
    assemble = MedicalBatchActivities(engine, book).assemble_batch
    inp = AssembleInput(region_code=REGION, month=MONTH, workflow_id="wf-first", at=AT)
    first = ActivityEnvironment().run(assemble, inp)
    inp.workflow_id, inp.at = "wf-again", AT + timedelta(minutes=3)
    again = ActivityEnvironment().run(assemble, inp)
    assert first.cash_premiums >= 3  # ours: March, April, May (others' covers may add)
    assert (again.batch_key, again.lines, again.premium_total, again.cash_premiums) == (
        first.batch_key,
        first.lines,
        first.premium_total,
        first.cash_premiums,
    )
    with Session(engine) as session:
        batch = session.exec(
            select(MedicalDeclaration).where(MedicalDeclaration.batch_key == first.batch_key)
        ).one()
    assert batch.cash_premiums == first.cash_premiums
