"""Starting long-lived workflows from the calendar workflows, as activities.

The payout calendar, the daily reconciliation timer and the medical declaration calendar start
a run (a payment run, a day's reconciliation, a month's declaration) and then continue as new.
Started as an abandoned *child*, the run would report its completion to a parent that has
meanwhile continued as new, and on the time-skipping server (simulated mode) that stalls time
for good: the test server's time stays locked. Started from an activity the run has no parent:
nothing is reported back, and both clock modes behave alike. Idempotent: the workflow ID is
the run's, so a retried or repeated start finds it started and says so. The workflows' run
methods are handed in by the worker, so activities never import a workflow.

The calendars' `..._if_due` starts (workflow.patched "calendar-skip-empty") first look at the
ledger: a region with nothing owed up to the payout day, or no cover to declare that month,
gets no run at all (before, an instance that gathered nothing and ended `empty`, and its row),
so the regions without cases cost a simulated stack nothing each month."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.types import MethodAsyncSingleParam

from activities.medical_batches import LIVE, batch_key_for
from db import coverage, payments
from db.medical import MedicalDeclaration
from domain.entitlement import add_months
from domain.medical import month_start
from payloads.calendars import Started
from payloads.medical import MedicalDeclarationInput
from payloads.payments import PaymentRunInput
from payloads.reconciliation import ReconcileDayInput
from workflows import ids

P = TypeVar("P")
Run = MethodAsyncSingleParam[Any, P, Any]


class WorkflowStartActivities:
    def __init__(
        self,
        client: Client,
        task_queue: str,
        *,
        payment_run: Run[PaymentRunInput],
        day_reconciliation: Run[ReconcileDayInput],
        medical_declaration: Run[MedicalDeclarationInput],
        engine: Engine | None = None,
    ) -> None:
        self.client = client
        self.engine = engine  # for the `_if_due` starts (without one: every run is due)
        self.task_queue = task_queue
        self.payment_run = payment_run
        self.day_reconciliation = day_reconciliation
        self.medical_declaration = medical_declaration

    async def _start(
        self,
        run: Run[P],
        arg: P,
        workflow_id: str,
        reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    ) -> Started:
        try:
            await self.client.start_workflow(
                run, arg, id=workflow_id, task_queue=self.task_queue, id_reuse_policy=reuse
            )
        except WorkflowAlreadyStartedError:
            return Started(workflow_id, already=True)
        return Started(workflow_id, already=False)

    @activity.defn
    async def start_payment_run(self, inp: PaymentRunInput) -> Started:
        """A run is started once: a finished (or failed, or terminated) run of the ID is never
        started again, so its obligations cannot be released and paid a second time."""
        return await self._start(
            self.payment_run,
            inp,
            ids.payment_run(inp.run_id),
            WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )

    @activity.defn
    async def start_payment_run_if_due(self, inp: PaymentRunInput) -> Started:
        """`start_payment_run` when the region owes something up to the cutoff (or the run
        exists already: then it says so); otherwise nothing is started (`skipped`)."""
        if not await asyncio.to_thread(self._run_due, inp):
            return Started(ids.payment_run(inp.run_id), already=False, skipped=True)
        return await self.start_payment_run(inp)

    def _run_due(self, inp: PaymentRunInput) -> bool:
        if self.engine is None:
            return True
        with Session(self.engine) as session:
            return payments.find_run(session, run_id=inp.run_id) is not None or payments.any_owed(
                session, region_code=inp.region_code, cutoff=inp.cutoff
            )

    @activity.defn
    async def start_day_reconciliation(self, inp: ReconcileDayInput) -> Started:
        return await self._start(self.day_reconciliation, inp, ids.day_reconciliation(inp.day))

    @activity.defn
    async def start_medical_declaration(self, inp: MedicalDeclarationInput) -> Started:
        """A region's month is declared once: a finished declaration is not started again."""
        return await self._start(
            self.medical_declaration,
            inp,
            ids.medical_declaration(inp.region_code, inp.month),
            WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )

    @activity.defn
    async def start_medical_declaration_if_due(self, inp: MedicalDeclarationInput) -> Started:
        """`start_medical_declaration` when the region has a cover to declare that month (as
        `assemble_batch` finds them) or the batch exists already; otherwise nothing is
        started (`skipped`)."""
        if not await asyncio.to_thread(self._declaration_due, inp):
            workflow_id = ids.medical_declaration(inp.region_code, inp.month)
            return Started(workflow_id, already=False, skipped=True)
        return await self.start_medical_declaration(inp)

    def _declaration_due(self, inp: MedicalDeclarationInput) -> bool:
        if self.engine is None:
            return True
        month = month_start(inp.month)
        with Session(self.engine) as session:
            if session.get(MedicalDeclaration, batch_key_for(inp.region_code, month)):
                return True
            return coverage.any_live_in_region(
                session,
                region_code=inp.region_code,
                statuses=LIVE,
                starting_before=add_months(month, 1),
            )
