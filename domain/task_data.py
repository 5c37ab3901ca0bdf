"""What a task completion carries in `data`, typed per task kind (the REST contract's task
outcomes, ARCHITECTURE.md), with the per-kind outcome rules.

Each kind has one model that refuses unknown keys and values that do not fit the columns they
end up in; `parse_task_data` reads a client's JSON into it and names the failing field
(`data.<field>`). The API checks with it before the workflow sees anything, and the workflow's
Update validator checks again, so user data never reaches workflow code unchecked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator

from domain.eligibility import ALL_REASONS
from domain.identifiers import InvalidIdentifier, validate_card_number
from domain.review import REJECTION_REASONS, check_review_outcome
from domain.tasks import TASK_KINDS, OutcomeError, check_outcome

MAX_CONTRIBUTION_MONTHS = 720


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def check(self, outcome: str, reason: str | None) -> None:
        """Raise OutcomeError unless this data fits `outcome` (kinds with rules override)."""


class ReviewClaimData(_Data):
    """review_claim: an approval may correct the contribution time (with a reason); a
    rejection names its reasons (DOMAIN.md stage 3, domain/review.py)."""

    kind: Literal["review_claim"] = "review_claim"
    contribution_months: int | None = Field(default=None, ge=0, le=MAX_CONTRIBUTION_MONTHS)
    reasons: list[str] | None = Field(default=None, max_length=len(REJECTION_REASONS))

    @field_validator("reasons")
    @classmethod
    def _known_reasons(cls, reasons: list[str] | None) -> list[str] | None:
        unknown = [r for r in reasons or [] if r not in REJECTION_REASONS]
        if unknown:
            raise ValueError(f"unknown rejection reasons: {unknown}")
        return reasons

    def check(self, outcome: str, reason: str | None) -> None:
        check_review_outcome(outcome, reason, as_record(self))


class EmployerReportOverdueData(_Data):
    """employer_report_overdue: `ordered` may set the time limit in days (seed 000 art. 41);
    `resolved` without the employer's report records the facts the report would have given."""

    kind: Literal["employer_report_overdue"] = "employer_report_overdue"
    reason_code: str | None = Field(default=None, max_length=48)
    contribution_months: int | None = Field(default=None, ge=0, le=MAX_CONTRIBUTION_MONTHS)
    days: int | None = Field(default=None, ge=1, le=90)

    @field_validator("reason_code")
    @classmethod
    def _known_reason(cls, code: str | None) -> str | None:
        if code is not None and code not in ALL_REASONS:
            raise ValueError(f"unknown separation reason {code!r}")
        return code

    def require_facts(self) -> None:
        """Resolved while the employer's report is still missing: the facts are needed."""
        if self.reason_code is None:
            raise OutcomeError(
                "data.reason_code",
                "without the employer's report, record the separation reason_code",
            )
        if self.contribution_months is None:
            raise OutcomeError(
                "data.contribution_months",
                "without the employer's report, record contribution_months (>= 0)",
            )


class CorrectedAccount(_Data):
    """The account a returned payment is re-issued to (the ledger's column sizes); the bank
    and the holder's name stay as they were unless given."""

    account_number: str = Field(min_length=8, max_length=34)
    bank_code: str | None = Field(default=None, min_length=2, max_length=16)
    account_name: str | None = Field(default=None, min_length=1, max_length=128)
    # an account in another name than the claimant's is a survivor's (遗属: the claimant has
    # died): the reference of the document showing it (death certificate, kinship proof)
    survivor_document: str | None = Field(default=None, min_length=4, max_length=64)

    @field_validator("account_number")
    @classmethod
    def _card(cls, number: str) -> str:
        try:
            return validate_card_number(number)
        except InvalidIdentifier as err:
            raise ValueError(str(err)) from err


class PaymentReturnedData(_Data):
    """payment_returned: a re-issue names the corrected account; a cancel gives a reason."""

    kind: Literal["payment_returned"] = "payment_returned"
    bank_account: CorrectedAccount | None = None

    def check(self, outcome: str, reason: str | None) -> None:
        if outcome == "reissue" and self.bank_account is None:
            raise OutcomeError("data.bank_account", "give the corrected bank account")


class SeparationDateMismatchData(_Data):
    """separation_date_mismatch: the separation date that is right, one of the two the
    employer's report and the registration gave (the case's Update validator checks that)."""

    kind: Literal["separation_date_mismatch"] = "separation_date_mismatch"
    separation_date: date | None = None

    def check(self, outcome: str, reason: str | None) -> None:
        if self.separation_date is None:
            raise OutcomeError("data.separation_date", "give the separation date that is right")


PlainKind = Literal[
    "late_registration",
    "missed_check_in",
    "payment_run_release",
    "payment_run_approval",
    "reconciliation_mismatch",
    "transfer_in",
    "escalation",
    "bank_unavailable",
    "system_error",
    "bank_rejected",
    "medical_agency_down",
    "medical_line_rejected",
    "medical_refund_review",
    "medical_refund_approval",
    "refused_offer_review",
    "death_grants_review",
    "lump_sum_review",
    "recovery_offset_review",
]
PLAIN_KINDS: tuple[str, ...] = get_args(PlainKind)


class NoData(_Data):
    """The kinds whose outcome carries nothing beyond the outcome and its reason."""

    kind: PlainKind


TaskData = Annotated[
    ReviewClaimData
    | EmployerReportOverdueData
    | PaymentReturnedData
    | SeparationDateMismatchData
    | NoData,
    Field(discriminator="kind"),
]
MODEL_OF: dict[str, type[_Data]] = {
    "review_claim": ReviewClaimData,
    "employer_report_overdue": EmployerReportOverdueData,
    "payment_returned": PaymentReturnedData,
    "separation_date_mismatch": SeparationDateMismatchData,
    **dict.fromkeys(PLAIN_KINDS, NoData),
}
assert set(MODEL_OF) == set(TASK_KINDS), "every task kind has its data model"


def parse_task_data(kind: str, data: Mapping[str, JsonValue]) -> TaskData:
    """The client's `data` as the kind's model; OutcomeError naming the first bad field."""
    model = MODEL_OF.get(kind)
    if model is None:
        raise OutcomeError("kind", f"unknown task kind {kind!r}")
    try:
        parsed = model.model_validate({"kind": kind, **data})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in ("data", *first["loc"]))
        raise OutcomeError(where, first["msg"]) from None
    return cast(TaskData, parsed)


def check_completion(kind: str, outcome: str, reason: str | None, data: TaskData) -> None:
    """Raise OutcomeError unless the outcome is one of the kind's, with what it must carry."""
    check_outcome(kind, outcome, reason, as_record(data))
    data.check(outcome, reason)


def as_record(data: _Data) -> dict[str, JsonValue]:
    """The data as the task row keeps it (what was given, without the kind)."""
    return data.model_dump(mode="json", exclude={"kind"}, exclude_none=True)
