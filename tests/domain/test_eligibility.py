"""Eligibility pre-check (社会保险法 art. 45; DOMAIN.md stage 3) and the retirement age
(DOMAIN.md "Identifiers")."""

from datetime import date
from typing import Any

import pytest

from domain.eligibility import ALL_REASONS, NON_VOLUNTARY_REASONS, Precheck, precheck
from domain.retirement import Retirement, Sex, WomenGroup
from policy import load_policy_book


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
    assert {"voluntary_resignation"} == ALL_REASONS - NON_VOLUNTARY_REASONS


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


def _retirement(birth: date, sex: Sex, women: WomenGroup = "women_worker") -> Retirement:
    return load_policy_book().national.retirement.retirement(birth, sex, women)


ON = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("birth", "sex", "passed"),
    [
        (date(1960, 5, 1), "male", False),  # 60 in 2020
        (date(1960, 5, 1), "female", False),
        (date(1968, 3, 10), "male", True),  # 60y10m: 2029-01-10
        (date(1968, 3, 10), "female", False),  # 50 (worker) in 2018, 55 (cadre) in 2023
        (date(1975, 6, 1), "male", True),
        (date(1975, 6, 1), "female", False),  # worker 50y3m: 2025-09-01; cadre 2031-11-01
        (date(1982, 4, 1), "male", True),
        (date(1982, 4, 1), "female", True),  # worker 53y8m: 2035-12-01
        (date(1990, 1, 1), "male", True),
        (date(1990, 1, 1), "female", True),
    ],
)
def test_below_retirement_age_by_birth_year_and_sex(birth: date, sex: Sex, passed: bool) -> None:
    """DOMAIN.md Identifiers; 社会保险法 art. 51(3); seed 000 art. 39: at or past the
    statutory retirement age (2024 NPC SC decision), a pension instead: the pre-check fails."""
    result = _run(retirement=_retirement(birth, sex), on=ON)
    check = result.checks[-1]
    assert check.code == "below_retirement_age"
    assert check.passed is passed
    assert result.eligible is passed
    assert "社会保险法 art. 51(3)" in check.source and "延迟法定退休年龄" in check.source
    if not passed:
        assert result.failed == ("below_retirement_age",)
        assert "a basic pension is due instead" in check.detail


def test_the_retirement_day_itself_fails_the_day_before_passes() -> None:
    """ "At or past the statutory retirement age" (DOMAIN.md Identifiers): born 1965-01-15,
    a man retires at 60 years 1 month, on 2025-02-15."""
    man = _retirement(date(1965, 1, 15), "male")
    assert _run(retirement=man, on=date(2025, 2, 14)).eligible is True
    on_the_day = _run(retirement=man, on=date(2025, 2, 15)).checks[-1]
    assert on_the_day.passed is False
    assert "60y1m, on 2025-02-15" in on_the_day.detail


def test_a_womans_check_names_both_original_ages() -> None:
    """The identity number does not say worker or cadre: the region's base decides the
    proposal and the detail gives the other date for the reviewer."""
    detail = _run(retirement=_retirement(date(1975, 6, 1), "female"), on=ON).checks[-1].detail
    assert "women workers" in detail and "2025-09-01" in detail
    assert "women cadres" in detail and "56y5m, on 2031-11-01" in detail
    cadre = _run(retirement=_retirement(date(1975, 6, 1), "female", "women_cadre"), on=ON)
    assert cadre.eligible is True


def test_without_a_birth_date_there_is_no_retirement_check() -> None:
    """Callers without the claimant's identity number get the three art. 45 checks."""
    assert len(_run().checks) == 3
    with pytest.raises(ValueError):
        _run(on=ON)
