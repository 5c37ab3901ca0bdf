"""ClaimWorkflow with two separation dates (issue 9 §4, workflows/claim/separation.py), on the
time-skipping server: the clerk's choice is checked by the Update validator, and past intake a
late employer report with another date is kept out of the case. The first test's history is
kept in tests/histories/claim/ (replayed by test_replay.py): re-record it with
`RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/workflows/test_separation_dates.py`."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import JsonValue
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.models import CaseEvent
from db.open_cases import OpenCase
from payloads.errors import INVALID_OUTCOME
from payloads.tasks import CompleteTaskInput
from tests.utils import factories as f
from tests.utils.temporal import advance, eventually, signal_case, state_when, tasks_of, today
from tests.workflows.test_replay import _keep, _replayer
from workflows.claim import ClaimWorkflow


async def test_the_choice_is_one_of_the_two_dates_and_becomes_the_cases(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    nid = f.national_id_of("woman", date(1992, 2, 29))
    employer_says = (await today(env)) - f.days(6)
    claimant_says = employer_says + f.days(1)
    case_id = "sd1" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, employer_says))
    await signal_case(env.client, task_queue, case_id, f.registration(nid, claimant_says))
    [task] = await eventually(lambda: tasks_of(engine, case_id))
    assert (task.kind, task.group) == ("separation_date_mismatch", "clerk")
    assert task.details == {
        "employer_date": employer_says.isoformat(),
        "claimant_date": claimant_says.isoformat(),
    }

    def completion(data: dict[str, JsonValue]) -> CompleteTaskInput:
        return CompleteTaskInput(
            task_id=task.task_id,
            outcome="resolved",
            actor="clerk",
            actor_roles=["clerk"],
            data=data,
        )

    bad: list[dict[str, JsonValue]] = [{}, {"separation_date": "2020-01-01"}]
    for data in bad:  # none, or neither of the two
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await h.execute_update(ClaimWorkflow.complete_task, completion(data))
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == INVALID_OUTCOME
        assert cause.details == ("data.separation_date",), data
    await h.execute_update(
        ClaimWorkflow.complete_task, completion({"separation_date": claimant_says.isoformat()})
    )
    s = await state_when(h, lambda s: s.status == "in_review")
    assert s.intake.separation_date == claimant_says
    assert s.deadlines["employer_report"].start == claimant_says
    # started here, not through the API: the case's first record registered it
    with Session(engine) as session:
        registered = session.exec(select(OpenCase).where(OpenCase.case_id == case_id)).one()
    assert registered.report_separation == employer_says
    await _replayer().replay_workflow(await _keep("intake_separation_date_settled", h))


async def test_past_intake_a_late_report_with_another_date_is_not_taken(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """The employer never reported; a supervisor recorded the facts and the case went to
    review; a report with another date then is noted, not taken; one with the case's date is."""
    nid, sep = f.national_id_of("man", date(1963, 12, 1)), await today(env)
    case_id = "sd2" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.registration(nid, sep))
    await state_when(h, lambda s: "employer_report" in s.deadlines)
    await advance(env, 20)
    [task] = await eventually(lambda: tasks_of(engine, case_id))
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=task.task_id,
            outcome="resolved",
            actor="supervisor",
            actor_roles=["supervisor"],
            data={"reason_code": "layoff", "contribution_months": 40},
        ),
    )
    await state_when(h, lambda s: s.status == "in_review")
    await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep - f.days(2)))

    def not_taken() -> list[CaseEvent]:
        with Session(engine) as session:
            found = select(CaseEvent).where(
                CaseEvent.case_id == case_id, CaseEvent.type == "employer_report_not_taken"
            )
            return list(session.exec(found).all())

    [noted] = await eventually(not_taken)
    assert noted.data == {"separation_date": (sep - f.days(2)).isoformat()}
    s = await state_when(h, lambda s: True)
    assert s.intake.employer_report is None
    await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    s = await state_when(h, lambda s: s.intake.employer_report is not None)
    assert s.intake.employer_report is not None
    assert s.intake.employer_report.separation_date == sep


async def test_a_late_registration_with_another_date_is_settled_after_its_acceptance(
    env: WorkflowEnvironment, worker: Worker, engine: Engine, task_queue: str
) -> None:
    """The case lapsed; the claimant registers late giving the next day: a supervisor accepts
    the late registration, then a clerk settles the date, then the review."""
    nid, sep = f.national_id_of("woman", date(1972, 6, 30)), await today(env)
    case_id = "sd3" + nid[-6:]
    h = await signal_case(env.client, task_queue, case_id, f.employer_report(nid, sep))
    await state_when(h, lambda s: "registration" in s.deadlines)
    await advance(env, 35)
    await state_when(h, lambda s: s.status == "lapsed")
    await signal_case(env.client, task_queue, case_id, f.registration(nid, sep + f.days(1)))
    [late] = await eventually(lambda: tasks_of(engine, case_id))
    assert late.kind == "late_registration"
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=late.task_id,
            outcome="accept",
            actor="supervisor",
            actor_roles=["supervisor"],
            reason="hospitalised",
        ),
    )
    tasks = await eventually(lambda: tasks_of(engine, case_id), lambda ts: len(ts) == 2)
    [mismatch] = [t for t in tasks if t.kind == "separation_date_mismatch"]
    await h.execute_update(
        ClaimWorkflow.complete_task,
        CompleteTaskInput(
            task_id=mismatch.task_id,
            outcome="resolved",
            actor="clerk",
            actor_roles=["clerk"],
            data={"separation_date": sep.isoformat()},
        ),
    )
    s = await state_when(h, lambda s: s.status == "in_review")
    assert s.intake.separation_date == sep
