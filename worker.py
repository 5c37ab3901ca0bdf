"""Starts the Temporal worker: the case workflows and every activity, wired to the database,
the policy tables and the notification channels. `python worker.py`."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.calendar_moments import CalendarMomentActivities
from activities.cases import CaseActivities
from activities.claimant_history import CarriedMonths
from activities.determinations import DeterminationActivities
from activities.errors import PermanentErrors
from activities.ledger import LedgerActivities
from activities.medical_agency import MedicalAgencyActivities
from activities.medical_batches import MedicalBatchActivities
from activities.medical_coverage import MedicalCoverageActivities
from activities.medical_ledger import MedicalLedgerActivities
from activities.notifications import NotificationActivities
from activities.payments import PaymentActivities
from activities.reconciliation import ReconciliationActivities
from activities.recovery import RecoveryActivities
from activities.rules import AmountActivities, PayoutCalendarActivities, RuleActivities
from activities.starts import WorkflowStartActivities
from activities.stops import StopActivities
from activities.transfers import TransferActivities
from activities.worklist import TaskNoticeActivities, WorklistActivities
from core.activity_timeouts import ActivityTimeoutCap
from core.bytecode import keep_bytecode
from core.codec import data_converter
from core.gc_tuning import settle_after_startup
from core.heartbeat import heartbeat_loop
from core.identity import IdentityKeys
from core.settings import Settings, get_settings
from core.temporal import connect
from db.calendar_years import LiveCalendar
from db.engine import make_engine
from notifications.outbox import outbox_for
from policy import POLICY_DIR, PolicySource
from policy.store import PolicyStore
from workflows.claim import ClaimWorkflow
from workflows.medical_calendar import (
    AllRegionsMedicalCalendarWorkflow,
    MedicalCalendarWorkflow,
    ensure_medical_calendar,
)
from workflows.medical_declaration import MedicalDeclarationWorkflow
from workflows.payment_returns import PaymentReturnsWorkflow
from workflows.payment_run import PaymentRunWorkflow
from workflows.payout_calendar import (
    AllRegionsPayoutCalendarWorkflow,
    PayoutCalendarWorkflow,
    ensure_payout_calendar,
)
from workflows.reconciliation import (
    DAILY,
    DailyReconciliationWorkflow,
    ReconciliationWorkflow,
    ensure_daily_reconciliation,
)
from workflows.recovery_offset import RecoveryOffsetWorkflow

log = logging.getLogger("worker")
WORKFLOWS = [
    ClaimWorkflow,
    PaymentRunWorkflow,
    PaymentReturnsWorkflow,
    AllRegionsPayoutCalendarWorkflow,
    PayoutCalendarWorkflow,  # the per-region runs of earlier deployments (terminated at start)
    ReconciliationWorkflow,
    DailyReconciliationWorkflow,
    MedicalDeclarationWorkflow,
    AllRegionsMedicalCalendarWorkflow,
    MedicalCalendarWorkflow,  # the per-region runs of earlier deployments (terminated at start)
    RecoveryOffsetWorkflow,
]


def create_worker(
    client: Client,
    *,
    settings: Settings,
    engine: Engine,
    book: PolicySource,
    task_queue: str | None = None,
    executor: ThreadPoolExecutor | None = None,
    fail_fast: bool = False,
    max_cached_workflows: int = 1000,
) -> Worker:
    """The worker for every workflow and activity. `fail_fast` (tests) fails a workflow on
    a code error instead of retrying its task until a fix is deployed (production)."""
    keep_bytecode()  # the sandbox imports the workflow modules again for every instance
    keys = IdentityKeys(settings.case_id_key)
    cases = CaseActivities(engine, keys)
    worklist = WorklistActivities(engine)
    calendars = LiveCalendar(engine)
    rules = RuleActivities(book, calendars, history=CarriedMonths(engine, keys))
    recovery = RecoveryActivities(engine)
    outbox = outbox_for(settings, engine)
    notifications = NotificationActivities(outbox)
    notices = TaskNoticeActivities(engine, outbox)
    determinations = DeterminationActivities(engine)
    ledger = LedgerActivities(engine)
    stops = StopActivities(engine)
    amounts = AmountActivities(book)
    payments = PaymentActivities(engine, settings, book, tell_case=ClaimWorkflow.payment_update)
    calendar = PayoutCalendarActivities(book)
    reconciliation = ReconciliationActivities(engine, settings)
    queue = task_queue or settings.task_queue
    starts = WorkflowStartActivities(
        client,
        queue,
        payment_run=PaymentRunWorkflow.run,
        day_reconciliation=ReconciliationWorkflow.run,
        medical_declaration=MedicalDeclarationWorkflow.run,
        engine=engine,
    )
    coverage = MedicalCoverageActivities(engine, keys, book)
    batches = MedicalBatchActivities(engine, book, calendars)
    moments = CalendarMomentActivities(book, starts, calendar, batches)
    agency = MedicalAgencyActivities(engine, settings)
    medical_ledger = MedicalLedgerActivities(engine, book)
    transfers = TransferActivities(engine, book)
    cap = settings.activity_timeout_cap_seconds  # the fault suite's (core/activity_timeouts)
    return Worker(
        client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=[
            cases.sync_case,
            worklist.open_task,
            worklist.open_tasks,
            worklist.close_task,
            notices.remind_task,
            notices.escalate_task,
            notices.move_task_due,
            determinations.record_determination,
            ledger.create_obligation,
            ledger.owe_obligation,
            recovery.open_recovery,
            recovery.decide_offset,
            stops.settle_stop,
            stops.record_overpayment,
            amounts.month_amount,
            calendar.next_payout_day,
            reconciliation.reconcile_day,
            reconciliation.reconcile_days,
            starts.start_payment_run,
            starts.start_payment_run_if_due,
            starts.start_day_reconciliation,
            starts.start_medical_declaration,
            starts.start_medical_declaration_if_due,
            moments.start_due_payment_runs,
            moments.start_due_medical_declarations,
            coverage.record_enrolment,
            coverage.record_stop,
            coverage.record_cash_option,
            batches.next_declaration_window,
            batches.assemble_batch,
            batches.redeclare_lines,
            batches.withdraw_lines,
            agency.declare_batch,
            agency.poll_batch,
            medical_ledger.apply_answer,
            medical_ledger.decide_refund,
            transfers.plan_transfer,
            transfers.record_transfer,
            transfers.record_topup,
            transfers.move_coverage,
            payments.gather_run,
            payments.set_run_status,
            payments.submit_run,
            payments.poll_run,
            payments.apply_statuses,
            payments.apply_report,
            payments.reissue_or_cancel,
            payments.reissue_or_cancel_many,
            payments.returns_awaiting_decision,
            payments.complete_unless_returned,
            rules.plan_deadline,
            rules.plan_task_due,
            rules.case_policy,
            rules.assess_claim,
            notifications.send_notification,
        ],
        interceptors=[PermanentErrors(), *([ActivityTimeoutCap(cap)] if cap > 0 else [])],
        activity_executor=executor or ThreadPoolExecutor(max_workers=16),
        workflow_failure_exception_types=[Exception] if fail_fast else [],
        max_cached_workflows=max_cached_workflows,
        workflow_runner=workflow_runner(settings),
    )


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """Temporal's sandbox unless WORKFLOW_SANDBOX=false (the simulated clock's demo stack
    only; refused in production): every test and the real clock run the workflows sandboxed."""
    if settings.workflow_sandbox:
        return SandboxedWorkflowRunner()
    return UnsandboxedWorkflowRunner()


def reconciliation_quiet_days(settings: Settings) -> int:
    """How long days with no payment at the bank wait to be matched together: the real clock
    matches every day the next morning (日清); the simulated clock at the latest
    `RECONCILE_QUIET_DAYS` (a month) after the first of them, or the morning after the next
    payment run is sent, so two years of demo time take a wake a month, not one a week."""
    return settings.reconcile_quiet_days if settings.clock == "simulated" else DAILY


async def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    # a bad policy file stops start-up here, naming the file, the key and the reason; later
    # edits are reloaded (a bad one refused, loudly, and its last valid version kept)
    book = PolicyStore(settings.policy_dir or POLICY_DIR, settings.policy_check_seconds)
    engine = make_engine(settings.effective_database_url)
    client = await connect(
        settings.temporal_address,
        settings.temporal_namespace,
        data_converter(settings.payload_keys),
    )
    worker = create_worker(
        client,
        settings=settings,
        engine=engine,
        book=book,
        max_cached_workflows=settings.worker_max_cached_workflows,
    )
    settle_after_startup()  # start-up's objects out of later full collections (core/gc_tuning)
    codes = book.current().codes()  # their per-region calendars, if still running, terminated
    await ensure_payout_calendar(client, settings.task_queue, earlier=codes)
    await ensure_daily_reconciliation(
        client, settings.task_queue, quiet_days=reconciliation_quiet_days(settings)
    )
    await ensure_medical_calendar(client, settings.task_queue, earlier=codes)
    log.info("worker polling %s on %s", settings.task_queue, settings.temporal_address)
    beating = asyncio.create_task(heartbeat_loop(engine, settings.task_queue))
    try:
        await worker.run()
    finally:
        beating.cancel()


if __name__ == "__main__":
    asyncio.run(main())
