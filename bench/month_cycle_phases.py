"""The timed phases of the month-cycle benchmark (see `month_cycle.py`): the cycle of N active
cases through the API, the ledger and a payment run, and the empty-workflow baseline."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from typing import Any

import httpx
from empty_workflow import EmptyInput, EmptyWorkflow
from month_cycle_seed import REGION, today_in_china
from month_cycle_stack import Stack
from month_cycle_variants import AgencyCalls, declare_this_month, report_stops, stop_sample
from sqlalchemy import Engine, text
from temporalio.client import Client

from payloads.case_io import ClaimInput
from payloads.case_state import CaseState
from payloads.payments import PaymentRunInput
from workflows import ids
from workflows.claim import ClaimWorkflow
from workflows.payment_run import PaymentRunWorkflow

STOP_TYPE_NOTE = "reemployed, effective on the 15th day of month 2 or today if later"
POLL = 0.5  # seconds between looks at the database or the visibility store
RETRIES = 5  # attempts of a check-in answered 5xx under load


async def gathered(n: int, concurrency: int, fn: Any) -> None:
    """fn(i) for i in range(n), at most `concurrency` at a time; the first error stops all."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await fn(i)

    await asyncio.gather(*(one(i) for i in range(n)))


async def until(what: str, check: Any, stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        stack.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(POLL)


def scalar(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


async def count_workflows(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


class Cycle:
    def __init__(
        self,
        args: argparse.Namespace,
        stack: Stack,
        engine: Engine,
        agency: AgencyCalls | None = None,
    ) -> None:
        self.args, self.stack, self.engine = args, stack, engine
        self.agency = agency  # --medical: the simulated agency's request counts
        self.notes: list[str] = []  # what the variants did, for the report
        self.phases: dict[str, float] = {}
        self.retries: list[str] = []  # calls answered 5xx (or not at all) and made again
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = now - self.t
        self.t = now
        print(f"  {name}: {self.phases[name]:.1f} s", flush=True)

    async def run(
        self, client: Client, api: str, tokens: dict[str, str], states: list[CaseState]
    ) -> None:
        n, conc, queue = len(states), self.args.concurrency, self.stack.env["TASK_QUEUE"]
        limit = self.args.timeout
        self.t = time.perf_counter()  # phase 1 from here (not from before the worker started)

        async def start(i: int) -> None:
            s = states[i]
            await client.start_workflow(
                ClaimWorkflow.run,
                ClaimInput(case_id=s.case_id, state=s),
                id=ids.case(s.case_id),
                task_queue=queue,
            )

        await gathered(n, conc, start)
        query = "WorkflowType='ClaimWorkflow' AND ExecutionStatus='ContinuedAsNew'"

        async def crossed() -> bool:
            return await count_workflows(client, query) >= n

        await until("the month boundary", crossed, self.stack, limit)
        self.lap("1 month boundary (start, continue-as-new)")

        limits = httpx.Limits(max_connections=conc)
        async with httpx.AsyncClient(base_url=api, timeout=120, limits=limits) as http:
            clerk = {"Authorization": f"Bearer {tokens['clerk']}"}

            async def check_in(i: int) -> None:
                path, status = f"/api/v1/cases/{states[i].case_id}/check-ins", ""
                for attempt in range(RETRIES):
                    if attempt:
                        self.retries.append(f"{path}: {status}")
                        await asyncio.sleep(attempt)
                    try:
                        r = await http.post(path, json={}, headers=clerk)
                    except httpx.TransportError as err:
                        status = repr(err)
                        continue
                    status = f"{r.status_code} {r.text[:200]}"
                    if r.status_code == 201 or (
                        attempt and r.status_code == 409 and "already checked in" in r.text
                    ):  # a retried check-in that had gone through
                        return
                    if r.status_code < 500:
                        break
                raise RuntimeError(f"check-in {path}: {status}")

            await gathered(n, conc, check_in)
            self.lap("2 check-ins (API Update)")
            if self.args.stop_fraction:
                await self._stops(http, clerk, states)

            # a stop on the month's first day would cancel the month instead of prorating it
            owed = (
                "SELECT count(*) FROM payments WHERE month = 2 AND category = 'benefit'"
                " AND status IN ('pending', 'cancelled')"
            )

            async def all_owed() -> bool:
                return scalar(self.engine, owed) >= n

            await until("the obligations", all_owed, self.stack, limit)
            self.lap("3 obligations in the ledger")
            if self.agency is not None:
                await self._medical(client, queue)

            pending = "SELECT count(*) FROM payments WHERE region_code = :r AND status = 'pending'"
            expected = scalar(self.engine, pending, r=REGION)  # benefits (+ premiums)
            today = today_in_china()
            run_id = f"{ids.payment_run_id(REGION, today)}-{secrets.token_hex(3)}"
            handle = await client.start_workflow(
                PaymentRunWorkflow.run,
                PaymentRunInput(run_id=run_id, region_code=REGION, cutoff=today),
                id=ids.payment_run(run_id),
                task_queue=queue,
            )
            for kind, user, outcome in (
                ("payment_run_release", "finance", "release"),
                ("payment_run_approval", "finance2", "approve"),
            ):
                task_id = await self._task(handle.id, kind)
                if task_id is None:  # a run under the approval threshold needs no approval
                    break
                r = await http.post(
                    f"/api/v1/tasks/{task_id}/complete",
                    json={"outcome": outcome},
                    headers={"Authorization": f"Bearer {tokens[user]}"},
                )
                if r.status_code != 200:
                    raise RuntimeError(f"{kind}: {r.status_code} {r.text}")
            result = await asyncio.wait_for(handle.result(), timeout=limit)
            summary = result.summary
            if result.status != "completed" or summary is None or summary.count != expected:
                raise RuntimeError(f"the run did not pay the {expected} obligations: {result}")
            self.lap("4 payment run (release, pain.001, bank, statuses)")

        # a stopped case is closed: the run does not tell it (nor need it be waited for)
        to_tell = scalar(
            self.engine,
            "SELECT count(*) FROM payments p JOIN cases c ON c.case_id = p.case_id"
            " WHERE p.month = 2 AND p.category = 'benefit' AND p.status = 'settled'"
            " AND c.status != 'stopped'",
        )
        told = (
            "SELECT count(DISTINCT case_id) FROM case_events WHERE type = 'payment_settled'"
            " AND json_extract(data, '$.month') = 2"
        )

        async def all_told() -> bool:
            return scalar(self.engine, told) >= to_tell

        await until("the cases to record their payments", all_told, self.stack, limit)
        self.lap("5 cases told of settlement (synced)")

    async def _stops(
        self, http: httpx.AsyncClient, clerk: dict[str, str], states: list[CaseState]
    ) -> None:
        """Issue 11: a stop event on an even sample of the cases, until each is settled."""
        picked = stop_sample(len(states), self.args.stop_fraction)
        conc = self.args.concurrency
        await report_stops(http, clerk, states, picked, lambda k, fn: gathered(k, conc, fn))
        stopped = "SELECT count(*) FROM cases WHERE status = 'stopped'"

        async def settled() -> bool:
            return scalar(self.engine, stopped) >= len(picked)

        await until("the stop events to settle", settled, self.stack, self.args.timeout)
        self.lap("2b stop events (API Update, settled: closed)")
        prorated = scalar(
            self.engine,
            "SELECT count(*) FROM audit_log WHERE action = 'payment_prorated'",
        )
        self.notes.append(
            f"stop events: {len(picked):,} of {len(states):,} cases ({STOP_TYPE_NOTE}), "
            f"every one settled; month-2 payments prorated: {prorated:,}"
        )

    async def _medical(self, client: Client, queue: str) -> None:
        """Issue 12: this month's declaration, one batch for the region."""
        assert self.agency is not None
        before = self.agency.counts.copy()
        accepted, status = await declare_this_month(client, queue, self.args.timeout)
        self.lap("3b medical declaration (one batch, agency, premiums)")
        calls = self.agency.counts - before
        posts = calls["POST /declarations"]
        if status != "done" or posts != 1:
            raise RuntimeError(f"declaration {status}, {posts} batches sent: {dict(calls)}")
        premiums = scalar(
            self.engine,
            "SELECT count(*) FROM payments WHERE category = 'medical_premium'"
            " AND status = 'pending'",
        )
        self.notes.append(
            f"medical declaration: {accepted:,} lines accepted, {premiums:,} premiums owed; "
            f"calls to the agency in the cycle: {sum(calls.values())} "
            f"({', '.join(f'{k}: {v}' for k, v in sorted(calls.items()))}): one batch for the "
            "region's month, not one call per case (checked)"
        )

    async def _task(self, workflow_id: str, kind: str) -> str | None:
        sql = "SELECT task_id FROM tasks WHERE workflow_id = :w AND kind = :k"
        run_sql = "SELECT status FROM payment_runs WHERE run_id = :r"
        deadline = time.monotonic() + self.args.timeout
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                row = conn.execute(text(sql), {"w": workflow_id, "k": kind}).first()
                if row is not None:
                    return str(row[0])
                run_id = ids.run_id_of(workflow_id)
                status = conn.execute(text(run_sql), {"r": run_id}).scalar()
            if kind == "payment_run_approval" and status not in (
                None,
                "gathering",
                "awaiting_release",
                "released",
            ):
                return None
            await asyncio.sleep(POLL / 5)
        raise TimeoutError(f"no {kind} task for {workflow_id}")


async def baseline(client: Client, stack: Stack, n: int, total: int, conc: int) -> float:
    """N EmptyWorkflows sharing `total` no-op activities; seconds from the first start to the
    last completion."""
    queue = f"{stack.env['TASK_QUEUE']}-empty"
    per, extra = divmod(total, n)
    t0 = time.perf_counter()

    async def start(i: int) -> None:
        await client.start_workflow(
            EmptyWorkflow.run, EmptyInput(per + (i < extra)), id=f"empty-{i}", task_queue=queue
        )

    await gathered(n, conc, start)
    query = "WorkflowType='EmptyWorkflow' AND ExecutionStatus='Completed'"

    async def done() -> bool:
        return await count_workflows(client, query) >= n

    await until("the empty workflows", done, stack, 3600)
    return time.perf_counter() - t0
