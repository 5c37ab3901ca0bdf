"""The medical task kinds' completions, read by domain/task_data.py like every other kind:
the outcome is all they carry (seed 000 范文1 §4.2: a rejected declaration line is re-declared
once corrected, or withdrawn with a reason; §4.5 with 范文4: a duplicate premium's refund is
checked by 初审 and 复审, a rejection giving its reason)."""

from __future__ import annotations

import pytest

from domain.task_data import MODEL_OF, NoData, as_record, check_completion, parse_task_data
from domain.tasks import OutcomeError

MEDICAL_KINDS = (
    "medical_agency_down",
    "medical_line_rejected",
    "medical_refund_review",
    "medical_refund_approval",
)


@pytest.mark.parametrize("kind", MEDICAL_KINDS)
def test_a_medical_completion_carries_no_data_and_refuses_any(kind: str) -> None:
    data = parse_task_data(kind, {})
    assert isinstance(data, NoData) and MODEL_OF[kind] is NoData
    assert as_record(data) == {}
    with pytest.raises(OutcomeError) as err:
        parse_task_data(kind, {"national_id": "220102198603090016"})
    assert err.value.field == "data.national_id"


@pytest.mark.parametrize(
    ("kind", "outcome", "reason", "field"),
    [
        ("medical_line_rejected", "withdraw", None, "reason"),  # §4.2: why it is withdrawn
        ("medical_line_rejected", "approve", None, "outcome"),
        ("medical_refund_review", "reject", " ", "reason"),  # 初审 refusing says why
        ("medical_refund_approval", "reject", None, "reason"),  # 复审 too
        ("medical_agency_down", "resolved", None, "outcome"),
    ],
)
def test_a_medical_outcome_must_fit_its_kind_and_carry_its_reason(
    kind: str, outcome: str, reason: str | None, field: str
) -> None:
    with pytest.raises(OutcomeError) as err:
        check_completion(kind, outcome, reason, parse_task_data(kind, {}))
    assert err.value.field == field


@pytest.mark.parametrize(
    ("kind", "outcome", "reason"),
    [
        ("medical_line_rejected", "redeclare", None),
        ("medical_line_rejected", "withdraw", "insured by a new employer"),
        ("medical_refund_review", "approve", None),
        ("medical_refund_approval", "reject", "the agency has not refunded it"),
        ("medical_agency_down", "acknowledged", None),
    ],
)
def test_a_fitting_medical_outcome_is_accepted(kind: str, outcome: str, reason: str | None) -> None:
    check_completion(kind, outcome, reason, parse_task_data(kind, {}))
