"""The monthly declaration to the medical-insurance agency on the time-skipping server, with the
agency and the bank over real HTTP (DOMAIN.md stage 6; seed 000 范文1 §4.2; issue 12): one batch
per region and month, premiums owed once, paid to the agency by the normal payment run, a stop
declared in its month, and the calendar starting each month's declaration in its window."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import WorkflowHistory
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from db.medical import MedicalDeclaration, MedicalDeclarationLine
from db.models import PaymentRun, Task
from domain.calendar import AGENCY_TZ
from domain.entitlement import add_months
from domain.medical import declaration_window, month_key
from payloads.medical import StopInput
from payloads.payments import PaymentRunInput
from payloads.tasks import CompleteTaskInput
from policy import PolicyBook
from tests.utils import factories as f
from tests.utils.temporal import (
    calendar_waiting,
    continued_as_new,
    local_activities,
    scheduled_activities,
    tasks_per_moment,
)
from tests.workflows import medical_stack
from tests.workflows.medical_stack import (
    REGION,
    MedicalStack,
    advance,
    batch,
    coverage_status,
    eventually,
    keep_history,
    lines,
    premiums,
    replayer,
    start_declaration,
)
from workflows import ids
from workflows.calendar_loop import MOMENTS_PER_RUN
from workflows.medical_calendar import ensure_medical_calendar
from workflows.payment_run import PaymentRunWorkflow

database_url, engine, settings, stack = medical_stack.FIXTURES
AGENCY_ACCOUNT = "6222020200880000019"  # policy/220100.toml [periods.medical.agency_account]


async def _today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).astimezone(AGENCY_TZ).date()


async def test_a_regions_month_is_declared_in_one_batch_and_its_premiums_owed_once(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """范文1 §4.2: the month's new enrolments and premiums in one batch for the region (not
    one call per case); each month owed once on the ledger, to the agency's account; the
    batch declared twice is accepted once (its key) and owes nothing more."""
    now = await env.get_current_time()
    month = (await _today(env)).replace(day=1)
    before = add_months(month, -1)
    man = f.national_id_of("man", date(1986, 3, 9))  # 40
    woman = f.national_id_of("woman", date(1999, 12, 31), "220104")  # 26
    covers = [
        stack.enrol("medA0000000000000001", month.replace(day=3), now, national_id=man),
        stack.enrol("medA0000000000000002", month.replace(day=15), now, national_id=woman),
        stack.enrol("medA0000000000000003", before.replace(day=28), now),  # owes two months
    ]
    stack.enrol("medA0000000000000004", month.replace(day=5), now, region_code="220200")
    assert {c.status for c in covers} == {"pending"}
    async with stack.worker():
        handle = await start_declaration(env, task_queue, month)
        st = await handle.result()
        # (declared_one_batch.json: before declaration-local-steps, the batch assembled and
        # the answer applied as activity tasks; it replays too)
        await keep_history("declared_one_batch_local_steps", handle)
        history = await handle.fetch_history()
        assert scheduled_activities(history) == ["declare_batch"]  # the agency's HTTP only
        assert local_activities(history) == ["assemble_batch", "apply_answer"]
        assert (st.status, st.accepted, st.batches) == ("done", 4, [f"{REGION}-{month:%Y%m}"])
        owed = premiums(stack.engine)
        assert [(p.case_id[-1], p.month) for p in owed] == [
            ("1", month_key(month)),
            ("2", month_key(month)),
            ("3", month_key(before)),
            ("3", month_key(month)),
        ]
        assert {(p.amount, p.account_number, p.status) for p in owed} == {
            (Decimal("357.00"), AGENCY_ACCOUNT, "pending")
        }
        assert [ln.action for ln in lines(stack.engine, covers[2].case_id)] == [
            "enrol",
            "continue",
        ]
        [sent] = await stack.agency("GET", "/admin/batches")
        assert (sent["lines"], sent["receipts"]) == (4, 1)
        register = {p["person_ref"]: p for p in await stack.agency("GET", "/admin/people")}
        assert len(register) == 3 and covers[0].person_ref in register
        assert [m["month"] for m in register[covers[2].person_ref]["months"]] == [
            f"{before:%Y-%m}",
            f"{month:%Y-%m}",
        ]

        _forget_the_answer(stack.engine, f"{REGION}-{month:%Y%m}")
        again = await (await start_declaration(env, task_queue, month, "-again")).result()
        assert again.accepted == 4 and not again.rejected_cases
        assert len(premiums(stack.engine)) == 4
        [sent] = await stack.agency("GET", "/admin/batches")
        assert (sent["lines"], sent["receipts"]) == (4, 2)
        assert register == {p["person_ref"]: p for p in await stack.agency("GET", "/admin/people")}
        await _paid_to_the_agency_by_the_payment_run(env, stack, task_queue)


def _forget_the_answer(engine: Engine, key: str) -> None:
    """As if the worker died after the agency took the batch, before we kept its answer:
    the batch is declared again, and the agency answers it as it stands."""
    with Session(engine) as session:
        row = session.get(MedicalDeclaration, key)
        assert row is not None
        row.status, row.answer, row.applied_at = "assembled", None, None
        session.add(row)
        for line in session.exec(
            select(MedicalDeclarationLine).where(MedicalDeclarationLine.batch_key == key)
        ):
            line.status = "pending"
            session.add(line)
        session.commit()


async def _paid_to_the_agency_by_the_payment_run(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """The normal payment run pays the owed premiums to the agency's account."""
    today = await _today(env)
    run_id = f"R{REGION}-{today:%Y%m%d}-med"
    run = await env.client.start_workflow(
        PaymentRunWorkflow.run,
        PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=today),
        id=ids.payment_run(run_id),
        task_queue=task_queue,
    )
    await eventually(lambda: _run(stack.engine, run_id), lambda r: r == "awaiting_release")
    # the release task's row is written after the run's status: wait for the task itself
    await eventually(lambda: _task_status(stack.engine, f"payment_run_release-{run_id}"))
    await run.execute_update(
        PaymentRunWorkflow.complete_task,
        CompleteTaskInput(
            task_id=f"payment_run_release-{run_id}",
            outcome="release",
            actor="finance",
            actor_roles=["finance"],
        ),
    )
    await eventually(lambda: _run(stack.engine, run_id), lambda r: r == "submitted")
    async with httpx.AsyncClient() as http:
        txs = (await http.get(f"{stack.bank_url}/admin/transactions")).json()
    assert len(txs) == 4 and {t["creditor_account"] for t in txs} == {AGENCY_ACCOUNT}
    await advance(env, 0.1)  # past the bank's settlement delay
    await eventually(lambda: _run(stack.engine, run_id), lambda r: r == "completed")
    assert {p.status for p in premiums(stack.engine)} == {"settled"}


def _task_status(engine: Engine, task_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(Task, task_id)
        return row.status if row is not None else None


def _run(engine: Engine, run_id: str) -> str | None:
    with Session(engine) as session:
        row = session.get(PaymentRun, run_id)
        return row.status if row is not None else None


async def test_a_stop_is_declared_in_its_month_and_no_premium_follows(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """范文1 §4.2 (停保申请) and §3.1: benefits end mid-month (the 10th of the next month):
    that month's premium (policy partial_month = "full") and the stop are declared together;
    the month after owes nothing and the region's batch is empty."""
    now = await env.get_current_time()
    month = (await _today(env)).replace(day=1)
    following, after = add_months(month, 1), add_months(month, 2)
    cover = stack.enrol("medB0000000000000001", month.replace(day=3), now)
    stays = stack.enrol("medB0000000000000002", month.replace(day=4), now)
    async with stack.worker():
        await (await start_declaration(env, task_queue, month)).result()
        stopped = ActivityEnvironment().run(
            stack.coverage().record_stop,
            StopInput(cover.case_id, following.replace(day=10), "reemployed", now),
        )
        assert stopped.status == "stopping"
        st = await (await start_declaration(env, task_queue, following)).result()
        assert st.accepted == 3  # both months' premiums, and the stop
        assert [
            (ln.action, ln.month, ln.stop_date) for ln in lines(stack.engine, cover.case_id)
        ] == [
            ("enrol", month, None),
            ("continue", following, None),
            ("stop", following, following.replace(day=10)),
        ]
        last = await (await start_declaration(env, task_queue, after)).result()
        assert last.accepted == 1 and len(lines(stack.engine, cover.case_id)) == 3
    owed = {(p.case_id, p.month) for p in premiums(stack.engine)}
    assert owed == {
        (cover.case_id, month_key(month)),
        (cover.case_id, month_key(following)),
        (stays.case_id, month_key(month)),
        (stays.case_id, month_key(following)),
        (stays.case_id, month_key(after)),
    }
    [person] = await stack.agency("GET", "/admin/people", params={"person_ref": cover.person_ref})
    assert person["status"] == "stopped" and person["stopped_on"] == f"{following:%Y-%m}-10"
    assert coverage_status(stack.engine, cover.case_id) == "stopped"


async def test_the_calendar_starts_the_months_declaration_when_its_window_opens(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str, book: PolicyBook
) -> None:
    """范文1 §4.2 on durable timers: the region's declaration starts at 09:00 on the first
    working day of the 20th-25th window (the month's, or the next month's once it closed)."""
    now = await env.get_current_time()
    today = now.astimezone(AGENCY_TZ).date()
    stack.enrol("medC0000000000000001", today.replace(day=1), now)
    rule = book.region(REGION).at(today).medical
    window = declaration_window(
        today, rule.declaration_start_day, rule.declaration_end_day, book.calendar
    )
    if today > window.closes:
        nxt = add_months(today.replace(day=1), 1)
        window = declaration_window(
            nxt, rule.declaration_start_day, rule.declaration_end_day, book.calendar
        )
    async with stack.worker():
        await ensure_medical_calendar(env.client, task_queue, only=[REGION])
        await ensure_medical_calendar(env.client, task_queue, only=[REGION])  # idempotent
        await advance(env, max((window.opens - today).days, 0) + 1)
        await eventually(lambda: batch(stack.engine, f"{REGION}-{window.month:%Y%m}"))
        handle = env.client.get_workflow_handle(ids.medical_declaration(REGION, window.month))
        desc = await handle.describe()
        assert desc.workflow_type == "MedicalDeclarationWorkflow"
        opens = datetime.combine(window.opens, time(9), tzinfo=AGENCY_TZ)
        assert desc.start_time >= opens
        waiting = await calendar_waiting(  # the first look-up, then the window's opening
            env.client.get_workflow_handle(ids.MEDICAL_CALENDAR), 2
        )
        assert _moments(waiting) == 1 and tasks_per_moment(waiting) == [1]
        # (calendar_started_declaration.json, calendar_loop_started_declaration.json: a
        # region's calendar of the code before, a month a run and `calendar-loop`)
        await keep_history(
            "calendar_all_started_declaration",
            env.client.get_workflow_handle(ids.MEDICAL_CALENDAR),
        )
        calendar = await env.client.get_workflow_handle(ids.MEDICAL_CALENDAR).describe()
        assert calendar.status is not None and calendar.status.name == "RUNNING"


async def test_a_region_without_a_cover_gets_no_declaration_in_its_window(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str, book: PolicyBook
) -> None:
    """Issue 9 §8: no cover in the region (only in another): its window passes without a
    declaration (no workflow, no `empty` batch row), and the calendar goes on to the next
    month's window, where a cover enrolled meanwhile is declared, in the same run."""
    now = await env.get_current_time()
    today = now.astimezone(AGENCY_TZ).date()
    stack.enrol("medE0000000000000001", today.replace(day=1), now, region_code="220200")
    rule = book.region(REGION).at(today).medical
    window = declaration_window(
        today, rule.declaration_start_day, rule.declaration_end_day, book.calendar
    )
    if today > window.closes:
        window = declaration_window(
            add_months(today.replace(day=1), 1),
            rule.declaration_start_day,
            rule.declaration_end_day,
            book.calendar,
        )
    calendar = env.client.get_workflow_handle(ids.MEDICAL_CALENDAR)
    async with stack.worker():
        await ensure_medical_calendar(env.client, task_queue, only=[REGION])
        first = env.client.get_workflow_handle(
            calendar.id, run_id=(await calendar.describe()).run_id
        )
        await advance(env, (window.closes - today).days + 2)  # past the window's last day
        history = await calendar_waiting(first, 2)  # the first look-up, then the opening
        assert _moments(history) == 1  # the next month's looked up with the start
        assert tasks_per_moment(history) == [1]  # in one workflow task, with the next timer
        # (calendar_no_cover_no_declaration.json, calendar_loop_no_cover_no_declaration.json:
        # a region's calendar of the code before, a month a run and `calendar-loop`)
        await keep_history("calendar_all_no_cover_no_declaration", first)  # replayed here too
        with pytest.raises(RPCError):  # no declaration of the month was started
            await env.client.get_workflow_handle(
                ids.medical_declaration(REGION, window.month)
            ).describe()
        assert batch(stack.engine, f"{REGION}-{window.month:%Y%m}") is None
        # a cover from now on: the next month's window declares it as before
        later = await _today(env)
        stack.enrol("medE0000000000000002", later, await env.get_current_time())
        following = add_months(window.month, 1)
        nxt = declaration_window(
            following, rule.declaration_start_day, rule.declaration_end_day, book.calendar
        )
        await advance(env, (nxt.opens - later).days + 1)
        await eventually(lambda: batch(stack.engine, f"{REGION}-{following:%Y%m}"))
        desc = await env.client.get_workflow_handle(
            ids.medical_declaration(REGION, following)
        ).describe()
        assert desc.workflow_type == "MedicalDeclarationWorkflow"
        # both windows passed in the calendar's first run (`calendar-loop`: no continue-as-new
        # a month, issue 9 §8)
        assert _moments(await calendar_waiting(first, 3)) == 2
        assert (await calendar.describe()).run_id == first.run_id


MOMENT = "start_due_medical_declarations"  # a moment's one local activity


def _moments(history: WorkflowHistory, *, carried: bool = False) -> int:
    """How many moments (window openings) passed after the run's first look-up (itself a
    moment, unless the regions' windows were `carried`): one local activity each, in one
    workflow task; no activity task at all."""
    assert scheduled_activities(history) == []
    names = local_activities(history)
    assert names and set(names) == {MOMENT}
    return len(names) - (0 if carried else 1)


async def test_the_calendar_continues_as_new_after_twelve_windows_with_the_next_one(
    env: WorkflowEnvironment, stack: MedicalStack, task_queue: str
) -> None:
    """The one calendar: a run covers MOMENTS_PER_RUN moments (its first look-up one of them),
    then continues as new with each region's next window carried (the new run looks nothing
    up first and starts it at its opening)."""
    calendar = env.client.get_workflow_handle(ids.MEDICAL_CALENDAR)
    async with stack.worker():
        await ensure_medical_calendar(env.client, task_queue, only=[REGION])  # no cover: skipped
        first = env.client.get_workflow_handle(
            calendar.id, run_id=(await calendar.describe()).run_id
        )
        await advance(env, 31 * (MOMENTS_PER_RUN + 1) + 2)
        history = await continued_as_new(first)
        assert _moments(history) == MOMENTS_PER_RUN - 1  # the first look-up: a moment too
        assert tasks_per_moment(history) == [1] * (MOMENTS_PER_RUN - 1)  # then continue-as-new
        attrs = history.events[-1].workflow_execution_continued_as_new_event_attributes
        second = env.client.get_workflow_handle(calendar.id, run_id=attrs.new_execution_run_id)
        following = await calendar_waiting(second, 1)
        moments = _moments(following, carried=True)  # the windows carried: no look-up first
        assert moments >= 1
        assert tasks_per_moment(following) == [1] * moments
        await replayer().replay_workflow(history)
        await keep_history("calendar_all_carried_windows", second)  # the next windows carried
