"""Eligibility pre-check (社会保险法 art. 45; DOMAIN.md stage 3)."""

from typing import Any

import pytest

from domain.eligibility import ALL_REASONS, NON_VOLUNTARY_REASONS, Precheck, precheck


def _run(**overrides: Any) -> Precheck:
    args: dict[str, Any] = {
        "contribution_months": 24,
        "reason_code": "contract_expired",
        "registered": True,
        "seeking_work": True,
        "min_contribution_months": 12,
    }
    args.update(overrides)
    return precheck(**args)


def test_all_three_conditions_met_is_eligible() -> None:
    """社会保险法 art. 45 (a)(b)(c) all met -> eligible."""
    result = _run()
    assert result.eligible is True
    assert [c.code for c in result.checks] == [
        "contributions",
        "non_voluntary",
        "registered_seeking_work",
    ]
    assert all(c.passed is True for c in result.checks)
    assert all("社会保险法 art. 45" in c.source for c in result.checks)


def test_contributions_boundary_at_12_months() -> None:
    """社会保险法 art. 45(1): contributions for at least one year."""
    assert _run(contribution_months=12).eligible is True
    low = _run(contribution_months=11)
    assert low.eligible is False
    assert low.failed == ("contributions",)
    assert "11" in low.checks[0].detail


def test_voluntary_resignation_is_not_eligible() -> None:
    """社会保险法 art. 45(2): separation not of the claimant's own will."""
    result = _run(reason_code="voluntary_resignation")
    assert result.eligible is False
    assert result.failed == ("non_voluntary",)


@pytest.mark.parametrize("reason", sorted(NON_VOLUNTARY_REASONS))
def test_every_non_voluntary_reason_passes(reason: str) -> None:
    """Seed 000 art. 3; ARCHITECTURE.md reason_code list: all non-voluntary codes qualify."""
    assert _run(reason_code=reason).checks[1].passed is True


def test_reason_lists_match_the_rest_contract() -> None:
    """ARCHITECTURE.md REST contract: seven non-voluntary codes plus voluntary_resignation."""
    assert len(NON_VOLUNTARY_REASONS) == 7
    assert ALL_REASONS - NON_VOLUNTARY_REASONS == {"voluntary_resignation"}


def test_not_registered_or_not_seeking_work_fails() -> None:
    """社会保险法 art. 45(3): registered as unemployed and seeking work."""
    assert _run(registered=False).failed == ("registered_seeking_work",)
    assert _run(seeking_work=False).eligible is False


def test_missing_facts_leave_the_result_open() -> None:
    """DOMAIN.md stage 3: the system pre-checks; unknown facts (no employer report) are None."""
    result = _run(contribution_months=None, reason_code=None, seeking_work=None)
    assert result.eligible is None
    assert [c.passed for c in result.checks] == [None, None, None]


def test_a_failure_decides_even_with_unknowns() -> None:
    """社会保险法 art. 45: any unmet condition makes the claimant ineligible."""
    result = _run(contribution_months=None, reason_code="voluntary_resignation")
    assert result.eligible is False


def test_unknown_reason_code_is_an_error() -> None:
    """ARCHITECTURE.md REST contract: reason_code is one of the listed codes."""
    with pytest.raises(ValueError):
        _run(reason_code="retired")
    with pytest.raises(ValueError):
        _run(contribution_months=-1)
