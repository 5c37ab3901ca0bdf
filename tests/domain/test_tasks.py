"""Who may decide a task (ARCHITECTURE.md "Human tasks"; issue: payments, four eyes)."""

from __future__ import annotations

import pytest

from domain.tasks import OutcomeError, check_outcome, escalated_priority, may_complete


def test_group_escalation_and_extra_roles_decide_who_may_complete() -> None:
    assert may_complete({"reviewer"}, "reviewer", False)
    assert not may_complete({"clerk"}, "reviewer", False)
    assert may_complete({"supervisor"}, "supervisor", True, "reviewer")
    assert may_complete({"reviewer"}, "supervisor", True, "reviewer")  # when assigned back
    assert not may_complete({"supervisor"}, "finance", False, None, "payment_run_release")
    assert may_complete({"supervisor"}, "finance", False, None, "payment_run_approval")


def test_outcomes_must_fit_the_kind_and_carry_their_reason() -> None:
    check_outcome("review_claim", "approve", None, {})
    with pytest.raises(OutcomeError) as err:
        check_outcome("review_claim", "accept", None, {})
    assert err.value.field == "outcome"
    with pytest.raises(OutcomeError) as err:
        check_outcome("review_claim", "reject", " ", {})
    assert err.value.field == "reason"


def test_escalation_raises_priority_up_to_100() -> None:
    assert escalated_priority(60) == 80 and escalated_priority(95) == 100
