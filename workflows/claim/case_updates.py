"""The Updates of a case (ClaimWorkflow inherits them): each is handed to the stage it belongs
to and answers only once what it changed is in the read model (issue 9 §2: a 2xx is already
visible). The human-task Update, complete_task, comes from TaskOwner."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from payloads.case_io import (
        CashOptionRequest,
        CashOptionResult,
        CheckInInput,
        CheckInResult,
        ExtendDeadlineInput,
        TransferRequest,
        TransferResult,
    )
    from payloads.case_state import CaseState, CheckInRequest, DeadlineInfo
    from payloads.errors import TASK_CLOSED
    from payloads.stops import StopEventInput, StopEventResult
    from payloads.submissions import Submission
    from workflows.claim.benefit_months import BenefitMonths
    from workflows.claim.check_ins import EarlyCheckIns
    from workflows.claim.deadlines import Deadlines
    from workflows.claim.intake import Intake
    from workflows.claim.medical import MedicalStage
    from workflows.claim.stops import StopEvents
    from workflows.claim.transfer import TransferStage
    from workflows.human_tasks import TaskOwner

# the latest applied check-in requests a case keeps (one a month at most: a case's life)
KEPT_CHECK_IN_REQUESTS = 36


def _request_of(inp: CheckInInput, done: CheckInResult) -> CheckInRequest:
    assert inp.request_id is not None
    return CheckInRequest(
        request_id=inp.request_id,
        actor=inp.actor,
        channel=inp.channel,
        asked_on=inp.on,
        month=done.month,
        period_start=done.period_start,
        period_end=done.period_end,
        on=done.on,
    )


class CaseUpdates(TaskOwner):
    """The case's Updates and their validators, over the stages ClaimWorkflow sets up."""

    s: CaseState
    deadlines: Deadlines
    intake: Intake
    months: BenefitMonths | None
    stops: StopEvents | None
    early_check_ins: EarlyCheckIns
    medical: MedicalStage
    transfer: TransferStage
    _syncing: bool

    @workflow.update
    async def extend_deadline(self, inp: ExtendDeadlineInput) -> DeadlineInfo:
        """A supervisor moves a running deadline; its timers and its task follow."""
        dl = await self.deadlines.extend(inp)
        await self.written()
        return dl

    @extend_deadline.validator
    def validate_extension(self, inp: ExtendDeadlineInput) -> None:
        self.deadlines.validate_extension(inp)

    @workflow.update
    async def check_in(self, inp: CheckInInput) -> CheckInResult:
        """The claimant's monthly check-in (报到), once inside each benefit month, from the
        registration on (before the approval: workflows/claim/check_ins.py). A request the
        case applied already (sent again after a 503, or to the new run after a continue-as-
        new) is answered with its first result, not applied again."""
        earlier = self._check_in_request(inp)
        if earlier is not None:
            await self.written()
            return CheckInResult(
                month=earlier.month,
                period_start=earlier.period_start,
                period_end=earlier.period_end,
                on=earlier.on,
            )
        if self.months is None:
            done = self.early_check_ins.check_in(inp)
        else:
            done = self.months.check_in(inp)
        if inp.request_id is not None:
            kept = self.s.check_in_requests[-(KEPT_CHECK_IN_REQUESTS - 1) :]
            self.s.check_in_requests = [*kept, _request_of(inp, done)]
        await self.written()
        return done

    @check_in.validator
    def validate_check_in(self, inp: CheckInInput) -> None:
        if self._check_in_request(inp) is not None:
            return
        self.transfer.validate_check_in()
        if self.months is None:
            self.early_check_ins.validate(inp)
        else:
            self.months.validate_check_in(inp)

    def _check_in_request(self, inp: CheckInInput) -> CheckInRequest | None:
        """The applied check-in this request repeats (a 409 if its ID came with another
        check-in), or None."""
        if inp.request_id is None:
            return None
        for req in self.s.check_in_requests:
            if req.request_id == inp.request_id:
                if (req.actor, req.channel, req.asked_on) != (inp.actor, inp.channel, inp.on):
                    raise ApplicationError(
                        "this request ID was used for another check-in", type=TASK_CLOSED
                    )
                return req
        return None

    @workflow.update
    async def written_through(self, submission: Submission) -> None:
        """The barrier after signal-with-start (api/services/intake.py): answers once the
        submission is recorded and the read model shows what the case made of it."""
        await workflow.wait_condition(lambda: self.intake.received(submission))
        await self.written()

    async def written(self) -> None:
        """Before an Update answers: every step the write set off has run (no case or worklist
        activity in flight; the main flow waits for time or people again) and the read model
        holds all events so far."""
        s = self.s
        await workflow.wait_condition(
            lambda: self.tasks.in_flight.idle and not s.unsynced_events and not self._syncing
        )

    @workflow.update
    async def report_event(self, inp: StopEventInput) -> StopEventResult:
        """A stop event (reemployed, died, ...) recorded by a clerk: workflows/claim/stops.py."""
        assert self.stops is not None
        done = await self.stops.report(inp)
        await self.written()
        return done

    @report_event.validator
    def validate_event(self, inp: StopEventInput) -> None:
        if self.stops is None:
            raise ApplicationError(
                "stop events are recorded once the benefit months run", type=TASK_CLOSED
            )
        self.stops.validate(inp)

    @workflow.update
    async def record_cash_option(self, req: CashOptionRequest) -> CashOptionResult:
        """A clerk records the claimant's written request for the ≤ 3-month cash option."""
        assert self.s.benefit is not None
        done = await self.medical.cash_option(self.s.benefit, req)
        await self.written()
        return done

    @record_cash_option.validator
    def validate_cash_option(self, req: CashOptionRequest) -> None:
        self.medical.validate_cash_option(self.s.benefit, req)

    @workflow.update
    async def request_transfer(self, req: TransferRequest) -> TransferResult:
        """A clerk moves the active case to another pooling region (DOMAIN.md stage 9)."""
        done = await self.transfer.request(req)
        await self.written()
        return done

    @request_transfer.validator
    def validate_transfer(self, req: TransferRequest) -> None:
        self.transfer.validate(req)
