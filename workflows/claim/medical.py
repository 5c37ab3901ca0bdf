"""Stage 6, medical coverage (DOMAIN.md stage 6; seed 000 范文1): the claimant's employee
basic medical and maternity cover lives exactly as long as the benefit.

- the case becomes `active`: the claimant is enrolled from the benefit's first day (the row
  the region's monthly declaration takes: workflows/medical_declaration.py);
- benefits end, for any reason (entitlement exhausted, a stop): cover stops (停保) from the
  first day without benefit, and the claimant is told, with the note that flexible-employment
  insurance taken up at once has no waiting period (范文1 §4.3);
- the ≤ 3-month case (范文1 §4.6): a clerk records the claimant's written request to receive the
  premium in cash with the benefit (an Update, refused with the field named when it may not).

The declarations, premiums, the agency's answers and refunds are not the case's: one batch
per region and month, by the medical workflows."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.medical_coverage import MedicalCoverageActivities
    from payloads.case_io import CashOptionRequest, CashOptionResult
    from payloads.case_state import BenefitState, MedicalState
    from payloads.errors import INVALID_OUTCOME, TASK_CLOSED
    from payloads.medical import CashOptionInput, EnrolInput, StopInput
    from payloads.submissions import Registration
    from workflows.claim.services import CaseServices

PATCH = "medical-stage"  # cases approved before this stage existed have no cover to stop
CONTINUATION_NOTE = (
    "停保后可立即以灵活就业人员身份参加职工基本医疗保险，无等待期。"
    " / You may continue at once in flexible-employment medical insurance, with no waiting"
    " period."
)
REQUEST_RETRY = RetryPolicy(maximum_attempts=3)


def months_left(benefit: BenefitState, on: date) -> int:
    """The benefit months not yet ended on ``on`` (范文1 §4.6 counts these)."""
    return sum(1 for m in benefit.months if m.end > on)


class MedicalStage:
    def __init__(self, case: CaseServices, state: MedicalState | None) -> None:
        self.case = case
        self.state = state

    def starts(self) -> bool:
        """Whether this run may open the stage (a case approved before it existed: no)."""
        return workflow.patched(PATCH)

    async def enrol(self, start_date: date, registration: Registration) -> MedicalState:
        """The case became active: cover from the benefit's first day (idempotent row)."""
        self.state = st = self.state or MedicalState(start_date=start_date)
        if st.enrolled:
            return st
        acct = registration.bank_account
        view = await self.case.activity(
            MedicalCoverageActivities.record_enrolment,
            EnrolInput(
                case_id=self.case.case_id,
                region_code=self.case.region_code,
                national_id=registration.national_id,
                name=registration.name,
                start_date=start_date,
                at=workflow.now(),
                bank_code=acct.bank_code if acct else None,
                account_number=acct.account_number if acct else None,
                account_name=acct.account_name if acct else None,
            ),
        )
        st.enrolled = True
        self.case.event(
            "medical_enrolled",
            None,
            start_date=view.start_date.isoformat(),
            region=view.region_code,
        )
        return st

    async def stop(self, stop_date: date, reason: str) -> None:
        """Benefits ended: cover stops from ``stop_date`` (the first day without benefit)."""
        st = self.state
        if st is None or not st.enrolled or st.stopped:
            return
        st.stop_date, st.stop_reason = max(stop_date, st.start_date), reason
        await self.case.activity(
            MedicalCoverageActivities.record_stop,
            StopInput(
                case_id=self.case.case_id,
                stop_date=st.stop_date,
                reason=reason,
                at=workflow.now(),
            ),
        )
        st.stopped = True
        self.case.event("medical_stopped", None, stop_date=st.stop_date.isoformat(), reason=reason)
        self.case.spawn(
            self.case.notify_claimant(
                "medical_stopped",
                "medical_stopped",
                stop_date=st.stop_date,
                last_day=st.stop_date - timedelta(days=1),
                reason=reason,
                continuation=CONTINUATION_NOTE,
            )
        )

    # ---- the ≤ 3-month cash option (an Update) -------------------------------------------

    def validate_cash_option(self, benefit: BenefitState | None, req: CashOptionRequest) -> None:
        st = self.state
        if st is None or not st.enrolled or st.stopped or benefit is None:
            raise ApplicationError("this case has no running medical cover", type=TASK_CLOSED)
        if st.cash_option:
            raise ApplicationError("the cash option is recorded already", type=TASK_CLOSED)
        if req.requested_on > self.case.today():
            raise ApplicationError(
                f"{req.requested_on} is in the future", "requested_on", type=INVALID_OUTCOME
            )

    async def cash_option(self, benefit: BenefitState, req: CashOptionRequest) -> CashOptionResult:
        st = self.state
        assert st is not None
        left = months_left(benefit, req.requested_on)
        try:
            await workflow.execute_activity_method(
                MedicalCoverageActivities.record_cash_option,
                CashOptionInput(
                    case_id=self.case.case_id,
                    requested_on=req.requested_on,
                    months_left=left,
                    insured_elsewhere=req.insured_elsewhere,
                    actor=req.actor,
                    at=workflow.now(),
                    written_request=req.written_request,
                ),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=REQUEST_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == "InvalidInput":
                field = str(cause.details[0]) if cause.details else "cash_option"
                raise ApplicationError(cause.message, field, type=INVALID_OUTCOME) from None
            raise ApplicationError(f"not recorded: {cause or err}", type=TASK_CLOSED) from None
        st.cash_option = True
        self.case.event(
            "medical_cash_option",
            req.actor,
            requested_on=req.requested_on.isoformat(),
            months_left=left,
            insured_elsewhere=req.insured_elsewhere,
        )
        return CashOptionResult(months_left=left, cash_option=True)
