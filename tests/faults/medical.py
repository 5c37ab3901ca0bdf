"""Medical declarations in the fault suite (issue 13 §1, issue 12): covers enrolled in the
ledger (as a case's medical stage records them when it becomes active), the region's monthly
MedicalDeclarationWorkflow declaring them to the simulated agency over HTTP, the agency's
answer at once or late by its signed webhook (through a relay that can repeat it), the
premiums paid to the agency's account by a payment run; then the invariants, read from our
ledger, the AGENCY's register and batches, and the bank's transactions:

- each covered person declared once per month: one accepted line per case, month and action,
  the months consecutive from the cover's start, and the agency's covered months exactly
  those, at the same premium;
- one batch per region and month at the agency (its key), answered;
- each premium obligation written once (one per accepted month, its amount the line's) and
  paid once (one settled transaction at the bank, the ledger settled with the same amount);
- nothing lost: every declaration workflow completed and done, no task of it left open (a
  down agency is retried, then a finance task the system closes once it answers).

Each declaration is for a month of its own after this one (the stack's counter): its premiums
are owed from then, so the soak's payment runs (cutoff today) never gather them; a payment
run of the region with that month as cutoff pays them once the declaration is done."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import ActivityEnvironment

from activities.medical_coverage import MedicalCoverageActivities
from core.identity import IdentityKeys
from db.medical import MedicalCoverage, MedicalDeclarationLine
from db.models import Payment, Task
from domain.calendar import AGENCY_TZ
from domain.entitlement import add_months
from domain.medical import month_key
from payloads.medical import EnrolInput, MedicalDeclarationInput
from policy import default_policy_book
from tests.faults.invariants import Verdict, obligation_of
from tests.faults.stack import FaultStack
from tests.utils import factories as f
from workflows import ids
from workflows.medical_declaration import MedicalDeclarationWorkflow

MED_REGION = "220100"
RETRY = 0.5


def next_month(stack: FaultStack) -> date:
    """A month of its own for the next declaration: 1, 2, ... months after this one."""
    stack.medical_months += 1
    this = datetime.now(AGENCY_TZ).date().replace(day=1)
    return add_months(this, stack.medical_months)


def enrol(stack: FaultStack, tag: str, n: int, start: date, rng: random.Random) -> list[str]:
    """`n` covers of MED_REGION from `start` (the activity a case's medical stage calls)."""
    acts = MedicalCoverageActivities(
        stack.engine, IdentityKeys(stack.settings.case_id_key), default_policy_book()
    )
    cases = []
    for i in range(n):
        case_id = f"{tag}M{i}"
        # a person of their own: the agency's register is by person (birth date and number
        # both from the generator, the factory's sequence alone repeats after 1,000)
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(12_000))
        ActivityEnvironment().run(
            acts.record_enrolment,
            EnrolInput(
                case_id=case_id, region_code=MED_REGION, national_id=f.national_id(birth=born),
                name="刘测试", start_date=start, at=datetime.now(UTC),
            ),
        )  # fmt: skip
        cases.append(case_id)
    return cases


async def start_declaration(client: Client, task_queue: str, month: date) -> str:
    """The region's declaration for `month`, started through faults (a restarting server)."""
    wid = ids.medical_declaration(MED_REGION, month)
    while True:
        try:
            await client.start_workflow(
                MedicalDeclarationWorkflow.run,
                MedicalDeclarationInput(region_code=MED_REGION, month=month),
                id=wid,
                task_queue=task_queue,
            )
            return wid
        except Exception as err:  # noqa: BLE001
            if "already" in str(err).lower():
                return wid
            await asyncio.sleep(RETRY)


async def declared(client: Client, workflow_ids: set[str], timeout: float) -> list[str]:
    """Wait until every declaration has completed; those that did not (stuck)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    waiting = set(workflow_ids)
    while waiting and loop.time() < deadline:
        for wid in sorted(waiting):
            try:
                described = await client.get_workflow_handle(wid).describe()
            except Exception:  # noqa: BLE001 (the server restarting)
                break
            if described.status == WorkflowExecutionStatus.COMPLETED:
                waiting.discard(wid)
            elif described.status != WorkflowExecutionStatus.RUNNING:
                return sorted(waiting)
        await asyncio.sleep(0.3)
    return sorted(waiting)


async def agency(stack: FaultStack, method: str, path: str, **kw: Any) -> Any:
    assert stack.agency is not None
    async with httpx.AsyncClient(base_url=stack.agency.url, timeout=30) as http:
        resp = await http.request(method, path, **kw)
        resp.raise_for_status()
        return resp.json()


async def agency_mode(stack: FaultStack, **mode: Any) -> None:
    await agency(stack, "POST", "/admin/mode", json=mode)


async def situation(client: Client, workflow_ids: set[str]) -> set[str]:
    """Where the running declarations are, as sub-kinds of a worker kill: before the batch
    went to the agency (assembling), during (`declare_batch` in flight), after (waiting for
    the answer, or applying it)."""
    seen = set()
    for wid in workflow_ids:
        try:
            described = await client.get_workflow_handle(wid).describe()
        except Exception:  # noqa: BLE001 (not started yet, or the server restarting)
            continue
        if described.status != WorkflowExecutionStatus.RUNNING:
            continue
        pending = {a.activity_type.name for a in described.raw_description.pending_activities}
        if "declare_batch" in pending:
            seen.add("during_declaration")
        elif "assemble_batch" in pending:
            seen.add("before_declaration")
        else:
            seen.add("after_declaration")
    return seen


async def check_medical(
    stack: FaultStack,
    client: Client,
    case_ids: set[str],
    months: set[date],
    bank_txs: list[dict[str, Any]],
) -> Verdict:
    """The invariants above, for these cases and the declarations of these months."""
    v = Verdict()
    people = {p["person_ref"]: p for p in await agency(stack, "GET", "/admin/people")}
    batches = await agency(stack, "GET", "/admin/batches")
    with Session(stack.engine) as session:
        covers = {
            c.case_id: c
            for c in session.exec(
                select(MedicalCoverage).where(col(MedicalCoverage.case_id).in_(case_ids))
            ).all()
        }
        lines = session.exec(
            select(MedicalDeclarationLine).where(col(MedicalDeclarationLine.case_id).in_(case_ids))
        ).all()
        premiums = session.exec(
            select(Payment).where(
                col(Payment.case_id).in_(case_ids), Payment.category == "medical_premium"
            )
        ).all()
        wids = {ids.medical_declaration(MED_REGION, m) for m in months}
        open_tasks = session.exec(
            select(Task).where(col(Task.workflow_id).in_(wids), col(Task.status) != "completed")
        ).all()
    # one batch per region and month, answered
    keys = Counter(b["batch_key"] for b in batches)
    for m in months:
        key = f"{MED_REGION}-{m:%Y%m}"
        found = [b for b in batches if b["batch_key"] == key]
        if not found:
            v.lost(f"batch {key}: never reached the agency")
        elif found[0]["status"] != "answered":
            v.lost(f"batch {key}: {found[0]['status']} at the agency")
        if keys[key] > 1:
            v.dup(f"batch {key}: {keys[key]} batches at the agency")
    # each covered person declared once per month
    accepted: dict[str, dict[date, MedicalDeclarationLine]] = defaultdict(dict)
    for line in lines:
        if line.action == "stop":
            continue
        if line.status != "accepted":
            v.lost(f"line {line.line_id} ({line.case_id} {line.month}): {line.status}")
            continue
        if line.month in accepted[line.case_id]:
            v.dup(f"case {line.case_id}: month {line.month} declared twice")
        accepted[line.case_id][line.month] = line
    last = max(months)
    for case_id in sorted(case_ids):
        cover = covers.get(case_id)
        if cover is None:
            v.lost(f"case {case_id}: no cover")
            continue
        want = []
        m = cover.start_date.replace(day=1)
        while m <= last:
            want.append(m)
            m = add_months(m, 1)
        if sorted(accepted[case_id]) != want:
            v.lost(f"case {case_id}: months declared {sorted(accepted[case_id])}, not {want}")
        at_agency = people.get(cover.person_ref)
        agency_months = {} if at_agency is None else {
            x["month"]: Decimal(x["premium"]) for x in at_agency["months"]
        }  # fmt: skip
        ours = {f"{mm:%Y-%m}": ln.premium for mm, ln in accepted[case_id].items()}
        if agency_months != ours:
            v.lost(f"case {case_id}: the agency covers {agency_months}, our ledger {ours}")
    # each premium written once and paid once
    settled_at_bank: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for tx in bank_txs:
        if tx["status"] == "ACSC":
            settled_at_bank[obligation_of(tx["end_to_end_id"])].append(tx)
    written: Counter[tuple[str, int]] = Counter()
    for p in premiums:
        written[(p.case_id, p.month)] += 1
        ob = obligation_of(p.end_to_end_id)
        paid = settled_at_bank.get(ob, [])
        if len(paid) > 1:
            v.dup(f"premium {ob}: {len(paid)} settled transactions at the bank")
        if p.status != "settled":
            v.lost(f"premium {ob}: {p.status} at the end")
        elif not paid:
            v.lost(f"premium {ob}: settled in the ledger, never paid by the bank")
        elif Decimal(paid[0]["amount"]) != p.amount:
            v.lost(f"premium {ob}: the bank paid {paid[0]['amount']}, the ledger {p.amount}")
    for case_id, by_month in accepted.items():
        for mm, line in by_month.items():
            n = written[(case_id, month_key(mm))]
            if n == 0:
                v.lost(f"premium {case_id} {mm}: accepted, never owed")
            elif n > 1:
                v.dup(f"premium {case_id} {mm}: owed {n} times")
            match = [p for p in premiums if p.case_id == case_id and p.month == month_key(mm)]
            if match and match[0].amount != line.premium:
                v.lost(f"premium {case_id} {mm}: owed {match[0].amount}, declared {line.premium}")
    # nothing lost: every declaration done, none of its tasks open
    for wid in sorted(wids):
        try:
            described = await client.get_workflow_handle(wid).describe()
        except Exception as err:  # noqa: BLE001
            v.lost(f"declaration {wid}: {err}")
            continue
        if described.status != WorkflowExecutionStatus.COMPLETED:
            v.lost(f"declaration {wid}: {described.status.name if described.status else '?'}")
    for t in open_tasks:
        v.lost(f"task {t.task_id} of a finished declaration still {t.status}")
    return v
