"""Coverage activities: what the case's medical stage records (DOMAIN.md stage 6).

Enrolment when the case becomes active, the stop when benefits end, and the claimant's written
request for the ≤ 3-month cash option. Each is idempotent on the case (one coverage per case);
a value that can never be accepted is refused at once (non-retryable), naming what is wrong.
The identity number goes into the coverage row for the agency's declaration only: answers
carry the person reference (its keyed hash), never the number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.identity import IdentityKeys
from db import coverage
from db.engine import session_scope
from db.medical import MedicalCoverage
from db.queries import audit_case_once
from domain.identifiers import InvalidIdentifier, validate_card_number, validate_national_id
from domain.medical import cash_option_refusals
from payloads.medical import CashOptionInput, CoverageView, EnrolInput, StopInput
from policy import PolicySource, UnknownRegion

STOPPABLE = ("pending", "enrolled", "stopping")


def view(c: MedicalCoverage) -> CoverageView:
    return CoverageView(
        case_id=c.case_id,
        region_code=c.region_code,
        person_ref=c.person_ref,
        start_date=c.start_date,
        stop_date=c.stop_date,
        status=c.status,
        cash_option=c.cash_option,
    )


def refused(message: str, field: str) -> ApplicationError:
    """A business refusal: retrying cannot help; `field` names what is wrong."""
    return ApplicationError(message, field, type="InvalidInput", non_retryable=True)


def _coverage(session: Session, case_id: str) -> MedicalCoverage:
    row = coverage.coverage_of(session, case_id=case_id)
    if row is None:
        raise refused(f"case {case_id} has no medical coverage", "case_id")
    return row


def _account(number: str | None) -> str | None:
    if number is None:
        return None
    try:
        return validate_card_number(number)
    except InvalidIdentifier as err:
        raise refused(str(err), "account_number") from None


def _audit(
    session: Session,
    case_id: str,
    action: str,
    actor: str,
    at: datetime,
    data: dict[str, object],
    reason: str | None = None,
) -> None:
    audit_case_once(
        session,
        key=f"medical:{case_id}:{action}",
        at=at,
        actor=actor,
        action=action,
        case_id=case_id,
        reason=reason,
        data=data,
    )


class MedicalCoverageActivities:
    def __init__(self, engine: Engine, keys: IdentityKeys, policy: PolicySource) -> None:
        self.engine = engine
        self.keys = keys
        self.policy = policy  # re-read per call: an edited policy file applies without restart

    @activity.defn
    def record_enrolment(self, inp: EnrolInput) -> CoverageView:
        """Cover the claimant from the day the case became active; a repeat finds the row."""
        try:
            national_id = validate_national_id(inp.national_id)
            self.policy.current().region(inp.region_code)
        except InvalidIdentifier as err:
            raise refused(str(err), "national_id") from None
        except UnknownRegion as err:
            raise refused(str(err), "region_code") from None
        # the account is only where a cash-option premium would go (that request checks it
        # again and may give another): one that is not a valid card number never stops cover
        try:
            account = _account(inp.account_number)
        except ApplicationError:
            account = None
        with session_scope(self.engine) as session:
            found = coverage.coverage_of(session, case_id=inp.case_id)
            if found is not None:
                return view(found)
            row = MedicalCoverage(
                case_id=inp.case_id,
                region_code=inp.region_code,
                person_ref=self.keys.search_hash(national_id),
                national_id=national_id,
                name=inp.name,
                start_date=inp.start_date,
                bank_code=inp.bank_code,
                account_number=account,
                account_name=inp.account_name or inp.name,
                created_at=inp.at,
                updated_at=inp.at,
            )
            session.add(row)
            _audit(
                session,
                inp.case_id,
                "medical_enrolled",
                "system",
                inp.at,
                {"region_code": inp.region_code, "start_date": inp.start_date.isoformat()},
            )
            return view(row)

    @activity.defn
    def record_stop(self, inp: StopInput) -> CoverageView:
        """Benefits end: cover stops from `stop_date` (declared in the next window). The same
        stop again changes nothing; another date after the stop was declared is refused."""
        with session_scope(self.engine) as session:
            row = _coverage(session, inp.case_id)
            if row.stop_date == inp.stop_date:
                return view(row)
            if inp.stop_date < row.start_date:
                raise refused(
                    f"stop {inp.stop_date} is before the cover's start {row.start_date}",
                    "stop_date",
                )
            stop_declared = coverage.has_line(session, case_id=inp.case_id, action="stop")
            if stop_declared or row.status == "stopped":
                raise refused(
                    f"cover of case {inp.case_id} was stopped from {row.stop_date} already",
                    "stop_date",
                )
            row.stop_date, row.stop_reason, row.updated_at = inp.stop_date, inp.reason, inp.at
            if row.status in STOPPABLE:  # a withdrawn cover only keeps the date
                row.status = "stopping"
            session.add(row)
            _audit(
                session,
                inp.case_id,
                "medical_stopped",
                "system",
                inp.at,
                {"stop_date": inp.stop_date.isoformat()},
                inp.reason,
            )
            return view(row)

    @activity.defn
    def record_cash_option(self, inp: CashOptionInput) -> CoverageView:
        """范文1 §4.6: on the claimant's written request, with ≤ 3 months (policy) left and
        insurance elsewhere, the premium is paid to them with the benefit instead of being
        declared. Only before the agency was told of them: the option replaces the
        enrolment, it does not interrupt one."""
        account = _account(inp.account_number)
        with session_scope(self.engine) as session:
            row = _coverage(session, inp.case_id)
            if row.cash_option:
                return view(row)
            rule = self.policy.current().region(row.region_code).at(inp.requested_on).medical
            reasons = cash_option_refusals(
                months_left=inp.months_left,
                insured_elsewhere=inp.insured_elsewhere,
                written_request=inp.written_request,
                max_months=rule.cash_option_max_months,
            )
            if reasons:
                raise refused("; ".join(reasons), "cash_option")
            declared = coverage.has_line(session, case_id=inp.case_id)
            if declared or row.status != "pending":
                raise refused(
                    f"case {inp.case_id} is declared to the medical agency already: the cash"
                    " option applies from the start of cover",
                    "cash_option",
                )
            row.account_number = account or row.account_number
            row.bank_code = inp.bank_code or row.bank_code
            row.account_name = inp.account_name or row.account_name
            if not row.account_number or not row.bank_code:
                raise refused("give the claimant's bank account to pay the premium to", "bank")
            row.cash_option, row.updated_at = True, inp.at
            row.cash_option_request = {
                "requested_on": inp.requested_on.isoformat(),
                "months_left": inp.months_left,
                "insured_elsewhere": inp.insured_elsewhere,
                "recorded_by": inp.actor,
            }
            session.add(row)
            _audit(
                session,
                inp.case_id,
                "medical_cash_option",
                inp.actor,
                inp.at,
                dict(row.cash_option_request),
            )
            return view(row)
