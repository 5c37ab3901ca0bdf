"""Starting long-lived workflows from the calendar workflows, as activities.

The payout calendar, the daily reconciliation timer and the medical declaration calendar start
a run (a payment run, a day's reconciliation, a month's declaration) and then continue as new.
Started as an abandoned *child*, the run would report its completion to a parent that has
meanwhile continued as new, and on the time-skipping server (simulated mode) that stalls time
for good: the test server's time stays locked. Started from an activity the run has no parent:
nothing is reported back, and both clock modes behave alike. Idempotent: the workflow ID is
the run's, so a retried or repeated start finds it started and says so. The workflows' run
methods are handed in by the worker, so activities never import a workflow."""

from __future__ import annotations

from typing import Any, TypeVar

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.types import MethodAsyncSingleParam

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
    ) -> None:
        self.client = client
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
