"""The fault suite's quick cases (issue 13 §1), in `make test`: one stack (the Temporal dev
server on a file database, worker processes, the simulated bank and our API over HTTP), each
case a small payment run that meets one fault at a chosen point, then the invariants
(tests/faults/invariants.py) from the ledger and the bank's records: paid exactly once or
cancelled with a reason, no task lost, no run stuck.

A worker killed while an activity runs leaves it to its start-to-close timeout (5 minutes for
a submission in production); the stack's workers cap every activity timeout at
ACTIVITY_TIMEOUT_CAP seconds (core/activity_timeouts.py), so those cases are quick too. The
randomized schedules run with `make soak` (tests/faults/soak.py)."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from temporalio.client import Client, WorkflowHandle

from tests.faults import medical, runs, transfers
from tests.faults.invariants import check_money, check_runs
from tests.faults.schedule import (
    bank_mode,
    bank_transactions,
    normal,
    one_round,
    pay_region,
    reconcile_days,
)
from tests.faults.stack import ACTIVITY_TIMEOUT_CAP, FaultStack, fault_stack
from workflows import ids

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    # a database of its own (a SQLite file, or a scratch PostgreSQL one): the invariants read
    # every ledger row, and the other tests' runs are not this suite's
    with fault_stack(tmp_path_factory.mktemp("faults")) as s:
        s.start_worker()
        yield s


@pytest.fixture
async def client(stack: FaultStack) -> AsyncIterator[Client]:
    await normal(stack)
    yield await stack.connect()


async def _run(stack: FaultStack, client: Client, tag: str, payments: int, closed: int = 0) -> str:
    runs.seed_obligations(stack.engine, tag, payments, closed, random.Random(tag))
    run_id = f"{tag}-1"
    await runs.start_gathered(client, stack.engine, stack.settings.task_queue, run_id)
    return run_id


async def _run_status(stack: FaultStack, run_id: str, status: str, timeout: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (row := runs.run_row(stack.engine, run_id)) is None or row.status != status:
        assert loop.time() < deadline, f"run {run_id} never {status}: {row}"
        await asyncio.sleep(0.05)


async def _pending(handle: WorkflowHandle[object, object], activity: str) -> bool:
    described = await handle.describe()
    pending = described.raw_description.pending_activities
    return any(a.activity_type.name == activity for a in pending)


async def _released_while_killed_at_the_bank(
    stack: FaultStack, client: Client, run_id: str
) -> None:
    """finance releases the run to a slow bank; every worker SIGKILLed while its pain.001 is
    on the way (`submit_run` in flight), a new one started once the bank is quick again."""
    await bank_mode(stack, slow_ms=3000)
    releasing = asyncio.create_task(runs.release(client, stack.engine, run_id))
    handle = client.get_workflow_handle(ids.payment_run(run_id))
    while not await _pending(handle, "submit_run"):
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    stack.kill_worker()
    await bank_mode(stack, slow_ms=0)
    stack.start_worker()
    assert await releasing


async def _ends_well(stack: FaultStack, client: Client, tag: str, run_ids: set[str]) -> None:
    stuck = await runs.settle_all(client, stack.engine, run_ids, timeout=420)
    assert not stuck, f"runs stuck: {stuck}"
    money = check_money(stack.engine, await bank_transactions(stack), tag)
    money.add(await check_runs(stack.engine, client, run_ids))
    assert money.problems == []
    assert money.obligations > 0 and money.paid + money.cancelled == money.obligations


async def test_worker_killed_before_submission(stack: FaultStack, client: Client) -> None:
    """SIGKILL while the run waits for release: finance's release waits for the next worker
    process, which submits once."""
    run_id = await _run(stack, client, "QBEFORE", 3)
    stack.kill_worker()
    releasing = asyncio.create_task(runs.release(client, stack.engine, run_id))
    await asyncio.sleep(1)
    stack.start_worker()
    assert await releasing
    await _ends_well(stack, client, "QBEFORE", {run_id})


async def test_worker_killed_after_submission_bank_answering_twice(
    stack: FaultStack, client: Client
) -> None:
    """SIGKILL once the bank has the run, before any status; the bank then sends every
    pain.002 twice: each obligation paid once."""
    await bank_mode(stack, hold=True, answer_twice=True)
    run_id = await _run(stack, client, "QAFTER", 4)
    assert await runs.release(client, stack.engine, run_id)
    await _run_status(stack, run_id, "submitted")
    stack.kill_worker()
    await bank_mode(stack, hold=False)  # settles; the reports come while no worker runs
    await asyncio.sleep(3)
    stack.start_worker()
    await _ends_well(stack, client, "QAFTER", {run_id})


async def test_temporal_restarted_while_the_bank_reports(stack: FaultStack, client: Client) -> None:
    """The Temporal server stops after submission, the bank settles and reports while it is
    down (longer than the client's retries), then it comes back: the report still reaches
    the run and nothing is paid twice."""
    await bank_mode(stack, hold=True)
    replays = stack.relay.answers[409]
    run_id = await _run(stack, client, "QTEMPORAL", 3)
    assert await runs.release(client, stack.engine, run_id)
    await _run_status(stack, run_id, "submitted")
    async with httpx.AsyncClient(timeout=30) as http:  # the API has connected to Temporal
        assert (await http.get(f"{stack.api_url}/api/v1/health")).status_code == 200
    assert stack.temporal is not None
    stack.temporal.stop()
    received = stack.relay.received
    await bank_mode(stack, hold=False)
    while stack.relay.received == received:  # the bank's report reached the API's door
        await asyncio.sleep(0.1)
    await asyncio.sleep(15)  # past the Temporal client's own retries in the webhook
    await asyncio.to_thread(stack.start_temporal)
    await _ends_well(stack, client, "QTEMPORAL", {run_id})
    # a report refused as a replay (409) was never applied: none here, each was taken once
    assert stack.relay.answers[409] == replays


async def test_bank_slow_down_and_reports_twice_out_of_order(
    stack: FaultStack, client: Client
) -> None:
    """Three runs (one payment to a closed account, returned and cancelled with a reason):
    the bank slow, then down at submission, its reports in pages of two, each delivered twice
    and newest first."""
    run_ids = {await _run(stack, client, f"QBANK{i}", 5, closed=int(i == 0)) for i in range(3)}
    await bank_mode(stack, slow_ms=1500)
    stack.relay.shuffle = stack.relay.repeat = True
    released = [asyncio.create_task(runs.release(client, stack.engine, r)) for r in run_ids]
    await asyncio.sleep(2)
    await bank_mode(stack, slow_ms=0, down=True)
    await asyncio.sleep(4)
    await bank_mode(stack, down=False)
    assert all(await asyncio.gather(*released))
    await _ends_well(stack, client, "QBANK", run_ids)
    assert stack.relay.reordered > 0 and stack.relay.repeated > 0


async def test_medical_declaration_agency_down_worker_killed_answered_twice(
    stack: FaultStack, client: Client
) -> None:
    """Two covers declared for a month of their own: every worker SIGKILLed while the batch
    is on its way to a slow agency (the attempt given to the next process after the cap),
    the agency then down for the retries, then back and answering late by its signed webhook,
    delivered twice: one batch at the agency, each person declared once for the month and
    covered once in the agency's register, each premium owed once and paid once by the
    region's payment run, the declaration done with no task open."""
    assert stack.agency_relay is not None
    month = medical.next_month(stack)
    cases = medical.enrol(stack, "QMED", 2, month, random.Random(7))
    stack.medical_cases += cases
    await medical.agency_mode(stack, slow_ms=4000, late_hours=0.0005)
    stack.agency_relay.repeat = True
    repeated = stack.agency_relay.repeated
    wid = await medical.start_declaration(client, stack.settings.task_queue, month)
    handle = client.get_workflow_handle(wid)
    while not await _pending(handle, "declare_batch"):
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    stack.kill_worker()
    await medical.agency_mode(stack, slow_ms=0, down=True)
    stack.start_worker()
    await asyncio.sleep(ACTIVITY_TIMEOUT_CAP + 3)  # the next attempt meets the agency down
    await medical.agency_mode(stack, down=False)
    assert await medical.declared(client, {wid}, timeout=300) == []
    premium_run = await pay_region(stack, client, "QMED", month, timeout=300)
    txs = await bank_transactions(stack)
    verdict = await medical.check_medical(stack, client, set(cases), {month}, txs)
    verdict.add(await check_runs(stack.engine, client, set(premium_run)))
    assert verdict.problems == []
    [sent] = [b for b in await medical.agency(stack, "GET", "/admin/batches") if
              b["batch_key"] == f"{medical.MED_REGION}-{month:%Y%m}"]  # fmt: skip
    assert sent["lines"] == 2 and sent["late"]
    assert stack.agency_relay.repeated > repeated  # the answer was delivered twice


async def test_cross_province_transfer_worker_killed_after_booking_and_at_the_bank(
    stack: FaultStack, client: Client
) -> None:
    """A real case of 220100 (intake and review through the API) transferred to 330100:
    every worker SIGKILLed the moment the source has booked the transfer (record_transfer),
    before or while the destination case starts; then again while the transfer_out's
    pain.001 is on its way to a slow bank. The transfer_out booked once and paid once, the
    transfer_in once, one destination case with one transfer_in task, no month lost or
    doubled (the source's owed months plus the destination's equal the entitlement)."""
    t = await transfers.active_case(stack, client, random.Random(12))
    requesting = asyncio.create_task(transfers.transfer(stack, t))
    while not transfers.booked(stack, t.case_id):
        await asyncio.sleep(0.02)
    stack.kill_worker()
    await asyncio.sleep(1)
    stack.start_worker()
    await requesting
    assert t.status in (201, 409)
    run_id = "QXFER-1"
    await runs.start_gathered(
        client, stack.engine, stack.settings.task_queue, run_id, transfers.SOURCE
    )
    await _released_while_killed_at_the_bank(stack, client, run_id)
    assert await runs.settle_all(client, stack.engine, {run_id}, timeout=300) == []
    await transfers.accept(stack, client, t)
    verdict = await transfers.check_transfers(stack, client, [t], await bank_transactions(stack))
    verdict.add(await check_runs(stack.engine, client, {run_id}))
    assert verdict.problems == []


async def test_a_random_schedule_with_a_fixed_seed(stack: FaultStack, client: Client) -> None:
    """One round of the soak's randomized schedule, seed fixed (the soak runs many)."""
    tally = await one_round(stack, random.Random(13), "QSEED", 4)
    assert tally.verdict.problems == []
    assert sum(tally.faults.values()) > 0


async def test_worker_killed_during_submission(stack: FaultStack, client: Client) -> None:
    """SIGKILL while the pain.001 is on its way (the bank slow): the attempt times out (after
    the stack's cap, seconds; 5 minutes in production), the next worker submits again, the
    bank answers a duplicate, nothing is paid twice."""
    run_id = await _run(stack, client, "QDURING", 3)
    await _released_while_killed_at_the_bank(stack, client, run_id)
    await _ends_well(stack, client, "QDURING", {run_id})


async def test_every_booked_transaction_reconciled_or_its_mismatch_task_open(
    stack: FaultStack, client: Client
) -> None:
    """After the cases above (this module's last): each booking date of the
    bank's transactions matched against the ledger, by the reconciliation workflow, with
    nothing left over that has no finance task."""
    verdict = await reconcile_days(stack, client, f"quick{os.getpid()}")
    assert verdict.problems == []
