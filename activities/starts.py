"""Starting long-lived workflows from the calendar workflows, as activities.

The payout calendar and the daily reconciliation timer start a run (a payment run, a day's
reconciliation) and then continue as new. Started as an abandoned *child*, the run would
report its completion to a parent that has meanwhile continued as new, and on the
time-skipping server (simulated mode) that stalls time for good: the test server's time stays
locked (tests/workflows/test_payout_calendar.py shows it). Started from an activity the run
has no parent: nothing is reported back, and both clock modes behave alike. Idempotent: the
workflow ID is the run's, so a retried or repeated start finds it started and says so."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from workflows.medical_declaration import MedicalDeclarationInput, declaration_workflow_id
from workflows.payment_run import PaymentRunInput
from workflows.reconciliation_models import ReconcileDayInput


@dataclass
class Started:
    workflow_id: str
    already: bool  # it had been started before (a retry, or a start by hand)


class WorkflowStartActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def _start(
        self,
        workflow: str,
        arg: object,
        workflow_id: str,
        reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    ) -> Started:
        try:
            await self.client.start_workflow(
                workflow, arg, id=workflow_id, task_queue=self.task_queue, id_reuse_policy=reuse
            )
        except WorkflowAlreadyStartedError:
            return Started(workflow_id, already=True)
        return Started(workflow_id, already=False)

    @activity.defn
    async def start_payment_run(self, inp: PaymentRunInput) -> Started:
        return await self._start("PaymentRunWorkflow", inp, f"payment-run-{inp.run_id}")

    @activity.defn
    async def start_day_reconciliation(self, inp: ReconcileDayInput) -> Started:
        return await self._start("ReconciliationWorkflow", inp, f"reconcile-{inp.day.isoformat()}")

    @activity.defn
    async def start_medical_declaration(self, inp: MedicalDeclarationInput) -> Started:
        """A region's month is declared once: a finished declaration is not started again."""
        return await self._start(
            "MedicalDeclarationWorkflow",
            inp,
            declaration_workflow_id(inp.region_code, inp.month),
            WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
