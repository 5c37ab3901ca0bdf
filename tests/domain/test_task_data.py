"""Task completion data, typed per kind (ARCHITECTURE.md "task outcomes"; issue 9 §5): unknown
keys and values that do not fit the columns are refused naming the field, and a rejection's
reasons default from the failed pre-checks (DOMAIN.md stage 3)."""

from __future__ import annotations

import pytest

from domain.review import default_rejection_reasons
from domain.task_data import (
    EmployerReportOverdueData,
    NoData,
    PaymentReturnedData,
    ReviewClaimData,
    as_record,
    check_completion,
    parse_task_data,
)
from domain.tasks import TASK_KINDS, OutcomeError


def _field(kind: str, data: dict[str, object]) -> str:
    with pytest.raises(OutcomeError) as err:
        parse_task_data(kind, data)  # type: ignore[arg-type]
    return err.value.field


def test_every_kind_has_a_model_and_plain_kinds_take_nothing() -> None:
    for kind in TASK_KINDS:
        assert parse_task_data(kind, {}).kind == kind
    assert isinstance(parse_task_data("missed_check_in", {}), NoData)
    assert _field("missed_check_in", {"note": "x"}) == "data.note"


def test_unknown_keys_are_refused_naming_the_key() -> None:
    """The `{"actor": ...}` that once raised TypeError inside the workflow on every retry."""
    assert _field("employer_report_overdue", {"actor": "mallory"}) == "data.actor"
    assert _field("review_claim", {"contribution_months": 30, "kind": "x"}) == "data.kind"


def test_values_are_typed_and_bounded() -> None:
    assert _field("review_claim", {"contribution_months": "many"}) == "data.contribution_months"
    assert _field("review_claim", {"contribution_months": 721}) == "data.contribution_months"
    assert _field("review_claim", {"reasons": ["nonsense"]}) == "data.reasons"
    assert _field("employer_report_overdue", {"days": 91}) == "data.days"
    assert _field("employer_report_overdue", {"reason_code": "fired"}) == "data.reason_code"
    long_name = {"account_number": "6222020200112233446", "account_name": "x" * 129}
    assert _field("payment_returned", {"bank_account": long_name}) == (
        "data.bank_account.account_name"
    )
    bad_luhn = {"account_number": "6222020200112233445"}
    assert _field("payment_returned", {"bank_account": bad_luhn}) == (
        "data.bank_account.account_number"
    )


def test_what_each_outcome_must_carry() -> None:
    """A correction of contribution time needs a reason (DOMAIN.md stage 3); a re-issue names
    the corrected account; an overdue report resolved without it records its facts."""
    with pytest.raises(OutcomeError) as err:
        check_completion("review_claim", "approve", None, ReviewClaimData(contribution_months=80))
    assert err.value.field == "reason"
    check_completion("review_claim", "reject", "x", ReviewClaimData())  # reasons default
    with pytest.raises(OutcomeError) as err:
        check_completion("payment_returned", "reissue", None, PaymentReturnedData())
    assert err.value.field == "data.bank_account"
    with pytest.raises(OutcomeError) as err:
        EmployerReportOverdueData(contribution_months=30).require_facts()
    assert err.value.field == "data.reason_code"


def test_the_row_keeps_what_was_given_without_the_kind() -> None:
    data = parse_task_data("employer_report_overdue", {"days": 20})
    assert as_record(data) == {"days": 20}


def test_rejection_reasons_default_from_the_failed_prechecks() -> None:
    """社会保险法 art. 45: each failed condition is its own rejection reason; none failed (the
    reviewer rejects on other grounds): `other`."""
    assert default_rejection_reasons(["non_voluntary"]) == ["voluntary_separation"]
    assert default_rejection_reasons(["contributions", "registered_seeking_work"]) == [
        "insufficient_contributions",
        "not_seeking_work",
    ]
    assert default_rejection_reasons(["below_retirement_age"]) == ["retirement_age_reached"]
    assert default_rejection_reasons([]) == ["other"]
