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
from tests.faults import runs
from tests.faults.invariants import Verdict, check_money, check_reconciled, check_runs
from tests.faults.stack import FaultStack
from workflows import ids
from workflows.reconciliation import ReconciliationWorkflow

REGIONS = ("220100", "220200", "330100")  # the policy's regions: gathered side by side
WORKERS = 2  # worker processes, as production scales them (a kill takes one or all)
WINDOW = 10.0  # seconds in which a round's releases and faults happen
KINDS = (
    "worker_kill",
    "temporal_restart",
    "bank_slow",
    "bank_down",
    "bank_answers_twice",
    "pain002_twice",
    "pain002_out_of_order",
)


@dataclass
class Tally:
    runs: int = 0
    payments: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    verdict: Verdict = field(default_factory=Verdict)
    seconds: float = 0.0
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


async def strike(stack: FaultStack, kind: str, rng: random.Random, run_ids: list[str]) -> list[str]:
    """One fault; the names it is counted under."""
    if kind == "worker_kill":
        where = await situation(stack, run_ids)
        every = rng.random() < 0.3  # all of them, or one of the two
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
    return [kind]


async def one_round(
    stack: FaultStack, rng: random.Random, tag: str, n_runs: int, settle_timeout: float = 420
) -> Tally:
    """n_runs runs of 1-5 payments (some to a closed account), faults at random moments."""
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
    tally.payments = sum(p for p, _, _ in sizes)
    tally.runs = n_runs
    tally.phases["gather"] = time.monotonic() - started

    async def released_at(run_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await runs.release(client, stack.engine, run_id)

    async def faults() -> None:
        kinds = [rng.choice(KINDS) for _ in range(rng.randint(1, 3))]
        moments = sorted(rng.uniform(0, WINDOW) for _ in kinds)
        t0 = time.monotonic()
        for kind, at in zip(kinds, moments, strict=True):
            await asyncio.sleep(max(0.0, at - (time.monotonic() - t0)))
            tally.faults.update(await strike(stack, kind, rng, run_ids))

    await asyncio.gather(faults(), *(released_at(r, rng.uniform(0, WINDOW)) for r in run_ids))
    await normal(stack)
    tally.phases["window"] = time.monotonic() - started - tally.phases["gather"]
    stuck = await runs.settle_all(client, stack.engine, set(run_ids), settle_timeout)
    tally.phases["settle"] = time.monotonic() - started - sum(tally.phases.values())
    prefix = tag.replace("-", "")
    tally.verdict = check_money(stack.engine, await bank_transactions(stack), prefix)
    tally.verdict.add(await check_runs(stack.engine, client, set(run_ids)))
    if stuck:
        tally.verdict.problems.append(f"stuck after {settle_timeout:.0f} s: {stuck}")
    tally.seconds = time.monotonic() - started
    return tally


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
