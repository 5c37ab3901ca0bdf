"""Unused months carried to the person's next case (issue 11 §5; 社会保险法 art. 46; DOMAIN.md
stage 4), on the time-skipping server: a first case stopped after 6 of its 18 months leaves 12
in the claimant history; the next case of the same person, with 72 contribution months (18),
is proposed and granted 24 (capped), naming the case they came from."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.models import Determination
from db.recovery import ClaimantHistory
from payloads.case_io import CheckInInput
from tests.utils import factories as f
from tests.utils.temporal import eventually, signal_case, state_when, today
from tests.workflows.test_check_ins import _approve, _decide, _registered, _running, _to_day
from workflows.claim import ClaimWorkflow


def _determination(engine: Engine, key: str) -> Determination | None:
    with Session(engine) as session:
        return session.exec(select(Determination).where(Determination.key == key)).first()


def _history(engine: Engine, case_id: str) -> ClaimantHistory | None:
    with Session(engine) as session:
        return session.exec(
            select(ClaimantHistory).where(ClaimantHistory.case_id == case_id)
        ).first()


async def test_twelve_unused_months_carried_onto_eighteen_give_24(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    nid = f.national_id_of("woman", date(1980, 5, 17))
    h = await _registered(env, task_queue, nid)
    h, s = await _approve(env, h)
    assert s.review is not None and s.review.proposal.carried_months == 0
    assert s.benefit is not None and len(s.benefit.months) == 18  # 72 months' contribution
    months = s.benefit.months
    # months 2 and 3 missed, 4 checked in, 5 missed; the stop is judged in month 6
    await _to_day(env, months[3].start + timedelta(days=1))
    await state_when(h, _running(4))
    await h.execute_update(ClaimWorkflow.check_in, CheckInInput(actor="clerk"))
    await _to_day(env, months[5].start + timedelta(days=1))
    await state_when(h, _running(6))
    await _decide(h, 3, "not_excused")
    await _decide(h, 2, "not_excused")
    await state_when(h, lambda s: s.status == "stopped")
    first = await eventually(lambda: _history(engine, s.case_id))
    assert first is not None and (first.used_months, first.unused_months) == (6, 12)

    # re-employed, then separated again: a new case of the same person
    sep = await today(env)
    case_id = "cm" + nid[-8:]
    report = f.employer_report(nid, sep, contribution_months=72)
    await signal_case(env.client, task_queue, case_id, report)
    h2 = await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    s2 = await state_when(h2, lambda s: any(t.kind == "review_claim" for t in s.tasks.values()))
    assert s2.review is not None
    p = s2.review.proposal
    assert (p.months, p.carried_months, p.carried_from) == (24, 12, [s.case_id])
    h2, s2 = await _approve(env, h2)
    assert s2.review is not None and s2.review.decision is not None
    ent = s2.review.decision.entitlement
    assert ent is not None and (ent.months, ent.carried_from) == (24, [s.case_id])
    assert s2.benefit is not None and len(s2.benefit.months) == 24
    # the pre-check kept as evidence names where the months came from
    det = await eventually(lambda: _determination(engine, f"{case_id}:precheck"))
    assert det is not None
    assert (det.result["carried_months"], det.result["carried_from"]) == (12, [s.case_id])
