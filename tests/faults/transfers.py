"""Cross-province transfers in the fault suite (issue 13 §1, issue 12 §2): a real case brought
through intake and review by our API (its ClaimWorkflow running on the stack's worker
processes), transferred 220100 -> 330100 through `POST /api/v1/cases/{id}/transfers` while
workers are SIGKILLed, the destination's clerk accepting its `transfer_in` task, the
transfer_out paid to the destination fund's account by the source region's payment run.

The invariants, read from our ledger, worklist and case rows and the bank's transactions:

- the transfer_out booked once on the source fund and the transfer_in once on the
  destination's, the same amount;
- one settled bank transaction for the transfer_out (the ledger settled, the same amount);
- no month lost or doubled: the months the source owed (its benefit obligations) plus the
  months the destination took over equal the source's entitlement;
- the destination has exactly one case, with exactly one `transfer_in` task (accepted), and
  the source is closed `transferred_out`.

A case's months are owed at month ends on the real clock, so here the source has owed none:
every month moves (the time-skipping tests move some after others were paid)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlmodel import Session, col, select
from temporalio.client import Client

from db.models import CaseRecord, Payment, Task
from db.seed import demo_credentials
from domain.calendar import AGENCY_TZ
from payloads.case_state import CaseState
from tests.faults.invariants import Verdict, obligation_of
from tests.faults.stack import FaultStack
from tests.utils import factories as f
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.claim.transfer import destination_case_id

SOURCE, DESTINATION = "220100", "330100"
RETRY = 0.5


@dataclass
class Transfer:
    case_id: str
    entitlement: int  # the source's months (its case row)
    destination: str = ""
    status: int = 0  # the transfer POST's final answer (201, or 409: done by an earlier one)
    requested: bool = False  # the POST has been sent


async def headers(stack: FaultStack, user: str) -> dict[str, str]:
    """A bearer token of the demo user (kept for the stack's life)."""
    if user not in stack.tokens:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
            resp = await http.post("/api/v1/auth/token", data=demo_credentials(user))
            resp.raise_for_status()
            stack.tokens[user] = resp.json()["access_token"]
    return {"Authorization": f"Bearer {stack.tokens[user]}"}


async def call(
    stack: FaultStack, user: str, method: str, path: str, ok: tuple[int, ...], **kw: Any
) -> httpx.Response:
    """An API call as `user`, sent again while a fault answers 5xx (or nothing) for it."""
    while True:
        try:
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=120) as http:
                resp = await http.request(method, path, headers=await headers(stack, user), **kw)
            if resp.status_code in ok:
                return resp
            if resp.status_code == 401:  # the session idle past IDLE_MINUTES: sign in again
                stack.tokens.pop(user, None)
            elif resp.status_code < 500:
                raise AssertionError(f"{method} {path}: {resp.status_code} {resp.text[:300]}")
        except httpx.HTTPError:
            pass
        await asyncio.sleep(RETRY)


async def state(client: Client, case_id: str) -> CaseState | None:
    """The case's state by query, None while no worker can answer (a kill, a restart)."""
    try:
        return await asyncio.wait_for(
            client.get_workflow_handle(ids.case(case_id)).query(ClaimWorkflow.state), 15
        )
    except Exception:  # noqa: BLE001
        return None


async def state_when(client: Client, case_id: str, pred: Any, timeout: float = 300) -> CaseState:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        s = await state(client, case_id)
        if s is not None and pred(s):
            return s
        await asyncio.sleep(0.3)
    raise AssertionError(f"case {case_id}: state not reached in {timeout:.0f} s")


async def active_case(stack: FaultStack, client: Client, rng: random.Random) -> Transfer:
    """A case of 220100 through intake and review by the API, active and covered."""
    # 31-44 on the day: under every statutory retirement age (a woman born in 1970 is past
    # hers, which fails the pre-check and needs the reviewer's reason); 30 months paid in
    born = date(1982, 1, 1) + timedelta(days=rng.randrange(5000))
    nid = f.national_id_of(rng.choice(("man", "woman")), born)
    sep = datetime.now(AGENCY_TZ).date()
    made = await call(
        stack, "clerk", "POST", "/api/v1/employer-reports", (201,),
        json=f.employer_report_json(nid, sep, contribution_months=30),
    )  # fmt: skip
    case_id = made.json()["case_id"]
    await call(
        stack, "clerk", "POST", "/api/v1/registrations", (201,),
        json=f.registration_json(nid, sep),
    )  # fmt: skip
    s = await state_when(
        client, case_id, lambda s: any(t.startswith("review_claim") for t in s.tasks)
    )
    review = next(t for t in s.tasks if t.startswith("review_claim"))
    await call(
        stack, "reviewer", "POST", f"/api/v1/tasks/{review}/complete", (200, 409),
        json={"outcome": "approve"},
    )  # fmt: skip
    s = await state_when(
        client, case_id, lambda s: s.status == "active" and bool(s.medical and s.medical.enrolled)
    )
    assert s.benefit is not None
    return Transfer(case_id, len(s.benefit.months))


async def transfer(stack: FaultStack, t: Transfer) -> None:
    """The clerk's request, sent again through faults: 201, or 409 once an earlier attempt
    that got no answer has moved the case already."""
    t.requested = True
    resp = await call(
        stack, "clerk", "POST", f"/api/v1/cases/{t.case_id}/transfers", (201, 409),
        json={"to_region_code": DESTINATION},
    )  # fmt: skip
    t.status = resp.status_code
    t.destination = destination_case_id(t.case_id, DESTINATION)


async def accept(stack: FaultStack, client: Client, t: Transfer, timeout: float = 300) -> None:
    """The destination's clerk accepts the transfer_in task; the destination goes active."""
    await state_when(client, t.case_id, lambda s: s.status == "transferred_out", timeout)
    task_id = f"transfer_in-{t.destination}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while _task(stack, task_id) is None:
        assert loop.time() < deadline, f"no {task_id}"
        await asyncio.sleep(0.3)
    await call(
        stack, "clerk", "POST", f"/api/v1/tasks/{task_id}/complete", (200, 409),
        json={"outcome": "accept"},
    )  # fmt: skip
    await state_when(client, t.destination, lambda s: s.status == "active", timeout)


def _task(stack: FaultStack, task_id: str) -> Task | None:
    with Session(stack.engine) as session:
        return session.get(Task, task_id)


def booked(stack: FaultStack, case_id: str) -> bool:
    """The source has booked the transfer (record_transfer's row is there)."""
    with Session(stack.engine) as session:
        stmt = select(Payment).where(Payment.case_id == case_id, Payment.category == "transfer_out")
        return session.exec(stmt).first() is not None


async def situation(stack: FaultStack, client: Client, t: Transfer | None) -> set[str]:
    """Where the round's transfer is, as sub-kinds of a worker kill."""
    if t is None or not t.requested:
        return set()
    if not booked(stack, t.case_id):
        return set() if t.status else {"transfer_before_booking"}
    dest = destination_case_id(t.case_id, DESTINATION)
    try:
        await client.get_workflow_handle(ids.case(dest)).describe()
    except Exception:  # noqa: BLE001 (not started yet)
        return {"transfer_between_booking_and_destination"}
    return {"transfer_after_destination_start"}


async def check_transfers(
    stack: FaultStack, client: Client, transfers: list[Transfer], bank_txs: list[dict[str, Any]]
) -> Verdict:
    v = Verdict()
    settled: dict[str, list[dict[str, Any]]] = {}
    for tx in bank_txs:
        if tx["status"] == "ACSC":
            settled.setdefault(obligation_of(tx["end_to_end_id"]), []).append(tx)
    for t in transfers:
        with Session(stack.engine) as session:
            src = session.exec(select(Payment).where(Payment.case_id == t.case_id)).all()
            dst = session.exec(select(Payment).where(Payment.case_id == t.destination)).all()
            cases = session.exec(
                select(CaseRecord).where(
                    col(CaseRecord.case_id).startswith(t.case_id[:16]),
                    CaseRecord.region_code == DESTINATION,
                )
            ).all()
            source_row = session.get(CaseRecord, t.case_id)
            tasks = session.exec(
                select(Task).where(Task.kind == "transfer_in", Task.case_id == t.destination)
            ).all()
        outs = [p for p in src if p.category == "transfer_out"]
        ins = [p for p in dst if p.category == "transfer_in"]
        if len(outs) != 1:
            (v.dup if outs else v.lost)(f"transfer of {t.case_id}: {len(outs)} transfer_out")
        if len(ins) != 1:
            (v.dup if ins else v.lost)(f"transfer of {t.case_id}: {len(ins)} transfer_in")
        if outs and ins and outs[0].amount != ins[0].amount:
            v.lost(f"transfer of {t.case_id}: out {outs[0].amount}, in {ins[0].amount}")
        if outs and (outs[0].fund, outs[0].region_code) != (f"UI-{SOURCE}", SOURCE):
            v.lost(f"transfer of {t.case_id}: transfer_out on {outs[0].fund}")
        if ins and (ins[0].fund, ins[0].region_code) != (f"UI-{DESTINATION}", DESTINATION):
            v.lost(f"transfer of {t.case_id}: transfer_in on {ins[0].fund}")
        for out in outs[:1]:
            paid = settled.get(obligation_of(out.end_to_end_id), [])
            if len(paid) > 1:
                v.dup(f"transfer_out {out.end_to_end_id}: {len(paid)} bank transactions")
            elif not paid or out.status != "settled":
                v.lost(f"transfer_out {out.end_to_end_id}: {out.status}, {len(paid)} at the bank")
            elif Decimal(paid[0]["amount"]) != out.amount:
                v.lost(f"transfer_out {out.end_to_end_id}: bank {paid[0]['amount']}, {out.amount}")
        if len(cases) != 1:
            (v.dup if cases else v.lost)(f"transfer of {t.case_id}: {len(cases)} destination cases")
        if len(tasks) != 1:
            (v.dup if tasks else v.lost)(f"transfer of {t.case_id}: {len(tasks)} transfer_in tasks")
        elif tasks[0].status != "completed":
            v.lost(f"task {tasks[0].task_id}: {tasks[0].status}")
        if source_row is None or source_row.status != "transferred_out":
            v.lost(f"case {t.case_id}: {source_row.status if source_row else None}")
        d = await state(client, t.destination)
        moved = len(d.transfer_in.months) if d is not None and d.transfer_in else None
        source_months = {p.month for p in src if p.category == "benefit"}
        if len(source_months) != len([p for p in src if p.category == "benefit"]):
            v.dup(f"case {t.case_id}: a benefit month owed twice")
        if moved is None or len(source_months) + moved != t.entitlement:
            v.lost(
                f"transfer of {t.case_id}: source owed {sorted(source_months)}, destination "
                f"took {moved} months, entitlement {t.entitlement}"
            )
    return v
