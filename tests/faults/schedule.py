"""Randomized fault schedules (`make soak`): rounds of small payment runs on one stack, each
round's runs released at random moments of a short window while faults strike at random
moments of it; then everything back to normal, every run driven to its end, the invariants
checked. A seed makes a schedule again."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session, select
from temporalio.client import Client

from db.models import PaymentRun, ReconciliationRecord
from domain.calendar import AGENCY_TZ
from payloads.reconciliation import ReconcileDayInput
from tests.faults import medical, runs, transfers
from tests.faults.invariants import Verdict, check_money, check_reconciled, check_runs
from tests.faults.stack import FaultStack
from workflows import ids
from workflows.reconciliation import ReconciliationWorkflow

REGIONS = ("220100", "220200", "330100")  # the policy's regions: gathered side by side
WORKERS = 2  # worker processes, as production scales them (a kill takes one or all)
WINDOW = 10.0  # seconds in which a round's releases, declaration and faults happen
DENSITY = 4.0  # faults per round on average (SOAK_DENSITY)
KINDS = (
    "worker_kill",
    "temporal_restart",
    "bank_slow",
    "bank_down",
    "bank_answers_twice",
    "pain002_twice",
    "pain002_out_of_order",
    "agency_down",
    "agency_slow",
    "agency_late_twice",
    "transfer_kill_between",  # every worker killed once the source has booked the transfer
)


@dataclass
class Tally:
    runs: int = 0
    payments: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    verdict: Verdict = field(default_factory=Verdict)
    seconds: float = 0.0
    declarations: int = 0  # medical declarations (one per round)
    covers: int = 0  # the covers they declared for the first time
    transfers: int = 0  # cross-province transfers (one per round)
    phases: dict[str, float] = field(default_factory=dict)  # gather, window, settle

    def line(self) -> str:
        v = self.verdict
        return (
            f"runs {self.runs}, payments {self.payments}, faults {sum(self.faults.values())}, "
            f"duplicates {v.duplicates}, losses {v.losses}"
        )


async def bank_mode(stack: FaultStack, **mode: Any) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        (await http.post(f"{stack.bank.url}/admin/mode", json=mode)).raise_for_status()


async def normal(stack: FaultStack) -> None:
    """Every fault ended: the bank up and quick, the relay straight, a worker and the server
    running."""
    await bank_mode(stack, slow_ms=0, down=False, hold=False, answer_twice=False)
    stack.relay.normal()
    await medical.agency_mode(stack, slow_ms=0, down=False, late_hours=0)
    assert stack.agency_relay is not None
    stack.agency_relay.normal()
    if stack.temporal is None or stack.temporal.popen.poll() is not None:
        await asyncio.to_thread(stack.start_temporal)
    stack.reap_workers()
    while stack.live_workers() < WORKERS:
        stack.start_worker()


async def situation(stack: FaultStack, run_ids: list[str]) -> list[str]:
    """Where the round's runs are at this moment, as fault sub-kinds of a worker kill."""
    with Session(stack.engine) as session:
        statuses = {
            r.run_id: r.status
            for r in session.exec(select(PaymentRun)).all()
            if r.run_id in set(run_ids)
        }
    seen: set[str] = set()
    client = await stack.connect()
    for run_id, status in statuses.items():
        if status in ("awaiting_release", "released"):
            seen.add("before_submission")
        if status != "submitted":
            continue
        try:
            described = await client.get_workflow_handle(ids.payment_run(run_id)).describe()
        except Exception:  # noqa: BLE001
            continue
        pending = {a.activity_type.name for a in described.raw_description.pending_activities}
        if pending & {"apply_report", "poll_run"}:
            seen.add("during_transfer")
        elif not pending:
            seen.add("after_submission")
    for run_id, status in statuses.items():  # submit_run in flight: the ledger still says released
        if status == "released":
            try:
                described = await client.get_workflow_handle(ids.payment_run(run_id)).describe()
            except Exception:  # noqa: BLE001
                continue
            if any(
                a.activity_type.name == "submit_run"
                for a in described.raw_description.pending_activities
            ):
                seen.add("during_submission")
    return sorted(seen)


def fault_count(rng: random.Random, density: float) -> int:
    """How many faults strike a round: `density` on average, at least one."""
    return max(1, round(rng.uniform(0.5, 1.5) * density))


async def strike(
    stack: FaultStack, kind: str, rng: random.Random, run_ids: list[str],
    declarations: set[str] | frozenset[str] = frozenset(),
    transfer: transfers.Transfer | None = None,
) -> list[str]:  # fmt: skip
    """One fault; the names it is counted under."""
    client = await stack.connect()
    if kind == "transfer_kill_between":
        if transfer is None:
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2 * WINDOW
        while not transfers.booked(stack, transfer.case_id) and loop.time() < deadline:
            await asyncio.sleep(0.05)
    if kind in ("worker_kill", "transfer_kill_between"):  # the latter: every process, now

        async def where_now() -> list[str]:
            where = await situation(stack, run_ids)
            where += sorted(await medical.situation(client, set(declarations)))
            return where + sorted(await transfers.situation(stack, client, transfer))

        every = rng.random() < 0.3 or kind == "transfer_kill_between"  # all, or one of two
        if kind == "transfer_kill_between":
            stack.kill_worker()  # at once: looking first would let the transfer go on
            where = await where_now()  # no process runs: where it stopped
        else:
            where = await where_now()
            if every:
                stack.kill_worker()
            else:
                stack.kill_worker(rng.randrange(len(stack.workers)) if stack.workers else None)
        await asyncio.sleep(rng.uniform(0.2, 3.0))
        while stack.live_workers() < WORKERS:
            stack.start_worker()
        name = "worker_kill_all" if every else "worker_kill_one"
        return [f"{name}_{w}" for w in where] or [f"{name}_idle"]
    if kind == "temporal_restart":
        await asyncio.to_thread(stack.restart_temporal, rng.uniform(0.0, 2.0))
        return [kind]
    if kind == "bank_slow":
        await bank_mode(stack, slow_ms=rng.randrange(500, 3000))
        await asyncio.sleep(rng.uniform(2, 6))
        await bank_mode(stack, slow_ms=0)
    elif kind == "bank_down":
        await bank_mode(stack, down=True)
        await asyncio.sleep(rng.uniform(1, 6))
        await bank_mode(stack, down=False)
    elif kind == "bank_answers_twice":
        await bank_mode(stack, answer_twice=True)
    elif kind == "pain002_twice":
        stack.relay.repeat = True
    elif kind == "pain002_out_of_order":
        stack.relay.shuffle = True
    elif kind == "agency_down":
        await medical.agency_mode(stack, down=True)
        await asyncio.sleep(rng.uniform(1, 6))
        await medical.agency_mode(stack, down=False)
    elif kind == "agency_slow":
        await medical.agency_mode(stack, slow_ms=rng.randrange(500, 3000))
        await asyncio.sleep(rng.uniform(2, 6))
        await medical.agency_mode(stack, slow_ms=0)
    elif kind == "agency_late_twice":  # answered 1.8 s later by webhook, delivered twice
        assert stack.agency_relay is not None
        await medical.agency_mode(stack, late_hours=0.0005)
        stack.agency_relay.repeat = True
    return [kind]


async def one_round(
    stack: FaultStack, rng: random.Random, tag: str, n_runs: int, settle_timeout: float = 420,
    density: float = DENSITY,
) -> Tally:  # fmt: skip
    """n_runs runs of 1-5 payments (some to a closed account) and a medical declaration of
    1-3 new covers (tests/faults/medical.py), started at random moments of the window while
    faults strike at others; then the declaration's premiums paid by a run of their own."""
    started = time.monotonic()
    tally = Tally()
    client = await stack.connect()
    await normal(stack)
    run_ids = [f"{tag}-{i:03d}" for i in range(n_runs)]
    sizes = [
        (rng.randint(1, 5), 1 if rng.random() < 0.15 else 0, rng.randrange(2**32)) for _ in run_ids
    ]

    async def gather(region: str, mine: list[int]) -> None:
        # one region's runs one after the other: each gathers only its own obligations
        for i in mine:
            payments, closed, seed = sizes[i]
            tag_i = run_ids[i].replace("-", "")
            own = random.Random(seed)  # the regions interleave: each run its own generator
            runs.seed_obligations(stack.engine, tag_i, payments, closed, own, region)
            await runs.start_gathered(
                client, stack.engine, stack.settings.task_queue, run_ids[i], region
            )

    await asyncio.gather(
        *(gather(r, list(range(k, n_runs, len(REGIONS)))) for k, r in enumerate(REGIONS))
    )
    # the medical cases' IDs do not start with the round's prefix: check_money's months are
    # benefit months 1..n, a premium's is YYYYMM (checked by medical.check_medical)
    med_month = medical.next_month(stack)
    med_cases = medical.enrol(stack, f"M{tag.replace('-', '')}", rng.randint(1, 3), med_month, rng)
    stack.medical_cases += med_cases
    declarations: set[str] = set()
    # a case of 220100 through intake and review by the API, transferred to 330100 in the
    # window (tests/faults/transfers.py)
    transfer = await transfers.active_case(stack, client, rng)
    tally.payments = sum(p for p, _, _ in sizes)
    tally.runs = n_runs
    tally.phases["gather"] = time.monotonic() - started

    async def released_at(run_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await runs.release(client, stack.engine, run_id)

    async def declared_at(delay: float) -> None:
        await asyncio.sleep(delay)
        declarations.add(
            await medical.start_declaration(client, stack.settings.task_queue, med_month)
        )

    async def transferred_at(delay: float) -> None:
        await asyncio.sleep(delay)
        await transfers.transfer(stack, transfer)

    async def faults() -> None:
        kinds = [rng.choice(KINDS) for _ in range(fault_count(rng, density))]
        moments = sorted(rng.uniform(0, WINDOW) for _ in kinds)
        t0 = time.monotonic()
        for kind, at in zip(kinds, moments, strict=True):
            await asyncio.sleep(max(0.0, at - (time.monotonic() - t0)))
            tally.faults.update(await strike(stack, kind, rng, run_ids, declarations, transfer))

    await asyncio.gather(
        faults(),
        declared_at(rng.uniform(0, WINDOW)),
        transferred_at(rng.uniform(0, WINDOW)),
        *(released_at(r, rng.uniform(0, WINDOW)) for r in run_ids),
    )
    await normal(stack)
    tally.phases["window"] = time.monotonic() - started - tally.phases["gather"]
    stuck = await runs.settle_all(client, stack.engine, set(run_ids), settle_timeout)
    stuck += await medical.declared(client, declarations, settle_timeout)
    # the premiums and the transfer_out (both 220100's, owed up to the declared month)
    premium_run = await pay_region(stack, client, tag, med_month, settle_timeout)
    await transfers.accept(stack, client, transfer, settle_timeout)
    tally.phases["settle"] = time.monotonic() - started - sum(tally.phases.values())
    prefix = tag.replace("-", "")
    txs = await bank_transactions(stack)
    tally.verdict = check_money(stack.engine, txs, prefix)
    tally.verdict.add(await check_runs(stack.engine, client, {*run_ids, *premium_run}))
    tally.verdict.add(await medical.check_medical(stack, client, set(med_cases), {med_month}, txs))
    tally.verdict.add(await transfers.check_transfers(stack, client, [transfer], txs))
    tally.declarations, tally.covers, tally.transfers = len(declarations), len(med_cases), 1
    if stuck:
        tally.verdict.problems.append(f"stuck after {settle_timeout:.0f} s: {stuck}")
    tally.seconds = time.monotonic() - started
    return tally


async def pay_region(
    stack: FaultStack, client: Client, tag: str, month: date, timeout: float
) -> list[str]:
    """What 220100 owes up to `month` paid by a run of its own: the declared month's
    premiums to the agency (the soak's runs, cutoff today, never take them) and a transfer's
    transfer_out to the destination fund. Its ID (an empty run has no release)."""
    run_id = f"{tag}-MP"
    await runs.start_gathered(
        client, stack.engine, stack.settings.task_queue, run_id, medical.MED_REGION, month
    )
    row = runs.run_row(stack.engine, run_id)
    if row is not None and row.status == "empty":
        return [run_id]
    await runs.release(client, stack.engine, run_id)
    await runs.settle_all(client, stack.engine, {run_id}, timeout)
    return [run_id]


async def bank_transactions(stack: FaultStack) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=60) as http:
        resp = await http.get(f"{stack.bank.url}/admin/transactions")
        resp.raise_for_status()
        rows: list[dict[str, Any]] = resp.json()
        return rows


async def reconcile_days(stack: FaultStack, client: Client, tag: str) -> Verdict:
    """Match every booking date of the bank's transactions against the ledger (each day its
    own ReconciliationWorkflow, as finance's reconciliation by hand) and check the result."""
    txs = await bank_transactions(stack)
    days = sorted({tx["booking_date"] for tx in txs if tx["booking_date"]})
    now = datetime.now(AGENCY_TZ)
    for day in days:
        d = date.fromisoformat(day)
        await client.start_workflow(
            ReconciliationWorkflow.run,
            ReconcileDayInput(day=d),
            id=f"{ids.day_reconciliation(d)}-{tag}",
            task_queue=stack.settings.task_queue,
        )
    deadline = time.monotonic() + 120
    since = now - timedelta(seconds=5)
    while time.monotonic() < deadline:
        with Session(stack.engine) as session:
            records = [session.get(ReconciliationRecord, date.fromisoformat(d)) for d in days]
        if all(r is not None and r.at is not None and r.at >= since for r in records):
            break
        await asyncio.sleep(0.5)
    return check_reconciled(stack.engine, txs)
