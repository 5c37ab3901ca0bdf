"""PaymentRunWorkflow: one credit-transfer run `payment-run-<run_id>` (DOMAIN.md "Money").

Gather the region's pending obligations, have finance release them (a second, different
finance user approves a run above the policy amount: four eyes), submit one pain.001 to the
bank (retried with backoff; finance is told if the bank stays down past the policy limit),
then apply the bank's per-transaction statuses (webhook signal, polling as the fallback).
A returned payment becomes a `payment_returned` task: re-issue to a corrected account as a
new transaction of the same obligation, or cancel with a reason.

The ledger (the `payments` rows of the run) holds the outstanding transactions, not this
workflow: submission and each batch of statuses answer counts and the returns only, and the
run is finished when the ledger has none left waiting (LEDGER_COUNTS; runs recorded before
it keep their ID lists and tell the cases themselves)."""

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.payment_models import (
        AppliedChange,
        ApplyInput,
        ApplyReportInput,
        ApplyResult,
        GatherInput,
        ReissueInput,
        RunInput,
        RunStatusInput,
        RunSummary,
        StatusReportRef,
        StatusUpdate,
        SubmitResult,
    )
    from activities.payments import PaymentActivities
    from domain.identifiers import InvalidIdentifier, validate_card_number
    from domain.tasks import OutcomeError
    from workflows.case_models import CompleteTaskInput, TaskCompletion, TaskState
    from workflows.human_task import FORBIDDEN, HumanTasks

SHORT = timedelta(seconds=30)
POLL_EVERY = timedelta(hours=6)
APPLY_PAGE = 2000  # statuses per apply_statuses call: inputs and answers stay small
# Counts from the ledger instead of ID lists in workflow state, cases told by the activity
# (a run of 100,000 fits Temporal's payload and history limits). Runs recorded before keep
# their lists: tests/histories/payment_run/.
LEDGER_COUNTS = "payment-run-ledger-counts"
# Before finishing, the returns the ledger holds that no apply reported (an apply recorded
# them, then failed before answering; its retry sees no change) get their finance task too.
RETURNS_FROM_LEDGER = "payment-run-returns-from-ledger"
# The webhook's reports reach the run by reference (`bank_report`: the ID of the pain.002 the
# API kept), not as statuses: a run of 100,000 kept ~15 MB of statuses in its history. Runs in
# flight when this came take reports too (no earlier history holds a `bank_report`); on the
# oldest path (before ledger counts) a report makes the run ask the bank at once.
STATUS_REPORTS = "payment-run-status-reports"
SUBMIT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)


@dataclass
class PaymentRunInput:
    run_id: str
    region_code: str
    cutoff: date


@dataclass
class PaymentRunStatus:
    run_id: str
    status: str
    summary: RunSummary | None = None
    released_by: str | None = None
    approved_by: str | None = None
    outstanding: list[str] = field(default_factory=list)  # runs recorded before counts only
    returned: list[str] = field(default_factory=list)
    outstanding_count: int = 0  # sent, not yet settled or returned (the ledger's count)
    settled_count: int = 0


@workflow.defn
class PaymentRunWorkflow:
    @workflow.init
    def __init__(self, inp: PaymentRunInput) -> None:
        self.inp = inp
        self.st = PaymentRunStatus(run_id=inp.run_id, status="gathering")
        self.task_states: dict[str, TaskState] = {}
        self.tasks = HumanTasks(workflow.info().workflow_id, None, self.task_states)
        self.inbox: list[StatusUpdate] = []
        self.reports: list[StatusReportRef] = []
        self.decisions: list[asyncio.Task[None]] = []
        self.counted = False  # LEDGER_COUNTS in force for this run

    @workflow.signal
    def bank_status(self, updates: list[StatusUpdate]) -> None:
        """Per-transaction statuses from the bank's webhook (verified by the API)."""
        self.inbox.extend(updates)

    @workflow.signal
    def bank_report(self, ref: StatusReportRef) -> None:
        """A status report from the bank's webhook, verified and kept by the API."""
        self.reports.append(ref)

    @workflow.update
    async def complete_task(self, inp: CompleteTaskInput) -> TaskCompletion:
        return await self.tasks.complete(inp)

    @complete_task.validator
    def _validate_completion(self, inp: CompleteTaskInput) -> None:
        self.tasks.validate(inp, self._check_task_data)

    @workflow.query
    def state(self) -> PaymentRunStatus:
        return self.st

    @workflow.run
    async def run(self, inp: PaymentRunInput) -> PaymentRunStatus:
        st = self.st
        st.summary = summary = await workflow.execute_activity_method(
            PaymentActivities.gather_run,
            GatherInput(inp.run_id, inp.region_code, inp.cutoff, workflow.now()),
            start_to_close_timeout=SHORT,
        )
        if summary.count == 0:
            st.status = "empty"
            return st
        if not await self._released(summary):
            await self._set("held")
        else:
            await self._submit(summary)
            await self._settle()
            await self._set("completed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    async def _released(self, summary: RunSummary) -> bool:
        st = self.st
        st.status = "awaiting_release"
        totals = {"count": summary.count, "total": f"{summary.total:.2f}", **summary.totals}
        release = await self.tasks.open(
            "payment_run_release",
            task_id=f"payment_run_release-{st.run_id}",
            title=f"代发批次待放行 / Release run {st.run_id}: "
            f"{summary.count} 笔 {summary.total:.2f} 元",
            details=totals,
        )
        done = await self.tasks.wait(release.task_id)
        assert done is not None
        if done.outcome != "release":
            return False
        st.released_by = done.actor
        await self._set("released", released_by=done.actor)
        if summary.total <= summary.approval_threshold:
            return True
        st.status = "awaiting_approval"
        approval = await self.tasks.open(
            "payment_run_approval",
            task_id=f"payment_run_approval-{st.run_id}",
            title=f"大额代发批次复核 / Second approval of run {st.run_id}: {summary.total:.2f} 元",
            details={**totals, "released_by": done.actor},
        )
        second = await self.tasks.wait(approval.task_id)
        assert second is not None
        if second.outcome != "approve":
            return False
        st.approved_by = second.actor
        await self._set("approved", approved_by=second.actor)
        return True

    async def _submit(self, summary: RunSummary) -> None:
        """Submit with backoff; past the policy limit finance gets a task, retries go on."""
        st = self.st
        st.status = "submitting"
        self.counted = workflow.patched(LEDGER_COUNTS)
        submit = workflow.start_activity_method(
            PaymentActivities.submit_run,
            RunInput(st.run_id, workflow.now(), counts_only=self.counted),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=SUBMIT_RETRY,
        )
        limit = timedelta(hours=summary.bank_alert_hours).total_seconds()
        done, _ = await workflow.wait([submit], timeout=limit)  # type: ignore[call-overload]
        if not done:
            await self.tasks.open(
                "bank_unavailable",
                task_id=f"bank_unavailable-{st.run_id}",
                title=f"银行接口不可用 / Bank unavailable for run {st.run_id}",
                details={"since_hours": summary.bank_alert_hours},
            )
        sent = await submit
        if isinstance(sent, SubmitResult):
            st.outstanding_count = sent.outstanding
        else:
            st.outstanding = list(sent)
            st.outstanding_count = len(sent)
        st.status = "submitted"

    async def _settle(self) -> None:
        """Apply statuses until every transaction is settled or returned and decided."""
        if self.counted:
            await self._settle_counted()
            return
        st = self.st
        while st.outstanding:
            try:
                await workflow.wait_condition(
                    lambda: bool(self.inbox) or bool(self.reports), timeout=POLL_EVERY
                )
                updates, self.inbox = self.inbox, []
                if self.reports:  # by reference: this path applies lists, so ask the bank now
                    self.reports = []
                    if workflow.patched(STATUS_REPORTS):
                        updates = updates + await self._poll_list()
            except TimeoutError:
                updates = await self._poll_list()
            wanted = [u for u in updates if u.end_to_end_id in st.outstanding]
            if not wanted:
                continue
            changes = await workflow.execute_activity_method(
                PaymentActivities.apply_statuses,
                ApplyInput(st.run_id, workflow.now(), wanted),
                start_to_close_timeout=SHORT,
            )
            assert isinstance(changes, list)
            for ch in changes:
                await self._tell_case(ch)
                if ch.status == "returned":
                    st.returned.append(ch.end_to_end_id)
                    self.decisions.append(asyncio.create_task(self._returned(ch)))
            final = {ch.end_to_end_id for ch in changes}
            st.outstanding = [e for e in st.outstanding if e not in final]
        await asyncio.gather(*self.decisions)

    async def _settle_counted(self) -> None:
        """The ledger keeps the transactions; each apply answers the run's outstanding count
        and the new returns, and the run is finished when the ledger says none is left."""
        st = self.st
        while st.outstanding_count > 0:
            try:
                await workflow.wait_condition(
                    lambda: bool(self.inbox) or bool(self.reports), timeout=POLL_EVERY
                )
            except TimeoutError:
                await self._poll_counted()
                continue
            reports, self.reports = self.reports, []
            if reports and workflow.patched(STATUS_REPORTS):
                for ref in reports:
                    await self._apply_report(ref)
            updates, self.inbox = self.inbox, []
            for start in range(0, len(updates), APPLY_PAGE):
                result = await workflow.execute_activity_method(
                    PaymentActivities.apply_statuses,
                    ApplyInput(
                        st.run_id,
                        workflow.now(),
                        updates[start : start + APPLY_PAGE],
                        counts_only=True,
                    ),
                    start_to_close_timeout=timedelta(minutes=2),
                )
                assert isinstance(result, ApplyResult)
                self._took(result)
        if workflow.patched(RETURNS_FROM_LEDGER):
            missed = await workflow.execute_activity_method(
                PaymentActivities.returns_awaiting_decision,
                RunInput(st.run_id, workflow.now(), counts_only=True),
                start_to_close_timeout=SHORT,
            )
            self._took(ApplyResult(returned=missed, outstanding=st.outstanding_count))
        await asyncio.gather(*self.decisions)

    async def _poll_list(self) -> list[StatusUpdate]:
        polled = await workflow.execute_activity_method(
            PaymentActivities.poll_run,
            RunInput(self.st.run_id, workflow.now()),
            start_to_close_timeout=SHORT,
        )
        assert isinstance(polled, list)
        return polled

    async def _poll_counted(self) -> None:
        more = True
        while more:  # a poll applies at the activity: counts back, returns paged
            polled = await workflow.execute_activity_method(
                PaymentActivities.poll_run,
                RunInput(self.st.run_id, workflow.now(), counts_only=True),
                start_to_close_timeout=timedelta(minutes=10),
            )
            assert isinstance(polled, ApplyResult)
            more = polled.more
            if polled.outstanding >= 0:  # -1: the bank does not know the run (yet)
                self._took(polled)

    async def _apply_report(self, ref: StatusReportRef) -> None:
        more = True
        while more:  # returns come back a page at a time; applied statuses change nothing
            try:
                result = await workflow.execute_activity_method(
                    PaymentActivities.apply_report,
                    ApplyReportInput(self.st.run_id, ref.report_id, workflow.now()),
                    start_to_close_timeout=timedelta(minutes=10),
                )
            except ActivityError as err:  # the kept report cannot be read: ask the bank instead
                workflow.logger.warning("report %s not applied (%s): polling", ref.report_id, err)
                await self._poll_counted()
                return
            more = result.more
            self._took(result)

    def _took(self, result: ApplyResult) -> None:
        st = self.st
        st.settled_count += result.settled
        st.outstanding_count = result.outstanding
        for ch in result.returned:
            if ch.end_to_end_id in st.returned:  # reported again (a retried apply)
                continue
            st.returned.append(ch.end_to_end_id)
            self.decisions.append(asyncio.create_task(self._returned(ch)))

    async def _returned(self, ch: AppliedChange) -> None:
        task = await self.tasks.open(
            "payment_returned",
            task_id=f"payment_returned-{ch.end_to_end_id}",
            title=f"代发退回 / Payment returned ({ch.reason}): {ch.end_to_end_id}",
            details={"case_id": ch.case_id, "month": ch.month, "reason": ch.reason},
        )
        done = await self.tasks.wait(task.task_id)
        assert done is not None
        acct: dict[str, Any] = dict(done.data.get("bank_account") or {})
        await workflow.execute_activity_method(
            PaymentActivities.reissue_or_cancel,
            ReissueInput(
                end_to_end_id=ch.end_to_end_id,
                at=workflow.now(),
                actor=done.actor,
                bank_code=acct.get("bank_code"),
                account_number=acct.get("account_number"),
                account_name=acct.get("account_name"),
                cancel_reason=(done.reason or "") if done.outcome == "cancel" else None,
            ),
            start_to_close_timeout=SHORT,
        )

    async def _tell_case(self, ch: AppliedChange) -> None:
        case = workflow.get_external_workflow_handle(f"case-{ch.case_id}")
        try:
            await case.signal("payment_update", ch)
        except Exception:  # a closed case: the ledger still has the status
            workflow.logger.info("case %s closed; payment %s", ch.case_id, ch.status)

    async def _set(self, status: str, **who: str) -> None:
        """Record the run's status in the ledger, then show it (the query follows the row)."""
        await workflow.execute_activity_method(
            PaymentActivities.set_run_status,
            RunStatusInput(self.st.run_id, status, workflow.now(), **who),
            start_to_close_timeout=SHORT,
        )
        self.st.status = status

    def _check_task_data(self, task: TaskState, inp: CompleteTaskInput) -> None:
        if task.kind == "payment_run_approval" and inp.actor == self.st.released_by:
            raise ApplicationError(
                "four eyes: the approval must come from someone other than the releaser",
                type=FORBIDDEN,
            )
        if task.kind == "payment_returned" and inp.outcome == "reissue":
            acct = inp.data.get("bank_account")
            if not isinstance(acct, dict) or not acct.get("account_number"):
                raise OutcomeError("data.bank_account", "give the corrected bank account")
            try:
                validate_card_number(str(acct["account_number"]))
            except InvalidIdentifier as err:
                raise OutcomeError("data.bank_account.account_number", str(err)) from err
