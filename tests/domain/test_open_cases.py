"""domain/open_cases.py: when an intake joins the person's open case and when it is a parallel
intake (issue 9 §4). The employer reports within 15 days of the separation (seed 000 范文2
art. 31, seed 002 art. 8), the claimant registers within 30 days of the notice (seed 000
art. 32, seed 002 art. 8): two accounts of one separation more than 30 days apart are not
one separation."""

from __future__ import annotations

from datetime import date, timedelta

from domain.open_cases import MATCH_WINDOW_DAYS, OpenCaseView, match_intake

SEP = date(2026, 11, 20)
USCC = "91110000600037341L"
OTHER_USCC = "91220101MA0Y6K5X2N"


def _case(
    report: date | None = None,
    registration: date | None = None,
    uscc: str | None = None,
    in_intake: bool = True,
) -> OpenCaseView:
    return OpenCaseView("c1", report, registration, uscc, in_intake)


def test_the_other_part_with_a_neighbouring_date_joins() -> None:
    """Employer says the 20th, claimant the 21st: one case (a clerk settles the date)."""
    assert match_intake(
        _case(report=SEP, uscc=USCC), "registration", SEP + timedelta(1), None
    ).joins
    assert match_intake(_case(registration=SEP + timedelta(1)), "employer_report", SEP, USCC).joins
    limit = SEP + timedelta(days=MATCH_WINDOW_DAYS)
    assert match_intake(_case(report=SEP), "registration", limit, USCC).joins


def test_a_repeat_joins_and_a_second_of_the_same_kind_with_another_date_does_not() -> None:
    assert match_intake(_case(registration=SEP), "registration", SEP, None).joins
    second = match_intake(_case(registration=SEP), "registration", SEP - timedelta(1), None)
    assert not second.joins and "already has a registration" in second.why


def test_dates_further_apart_than_the_registration_period_are_another_separation() -> None:
    far = SEP + timedelta(days=MATCH_WINDOW_DAYS + 1)
    verdict = match_intake(_case(report=SEP), "registration", far, None)
    assert not verdict.joins and "more than 30 days" in verdict.why


def test_another_employer_is_another_separation() -> None:
    verdict = match_intake(_case(registration=SEP, uscc=OTHER_USCC), "employer_report", SEP, USCC)
    assert not verdict.joins and OTHER_USCC in verdict.why


def test_past_intake_only_the_same_date_joins() -> None:
    """Under review or paid (a supervisor recorded the missing report's facts): a late
    report joins with the case's date only."""
    done = _case(registration=SEP, in_intake=False)
    assert match_intake(done, "employer_report", SEP, USCC).joins
    assert not match_intake(done, "employer_report", SEP + timedelta(1), USCC).joins
    both = _case(report=SEP, registration=SEP, in_intake=False)
    assert not match_intake(both, "registration", SEP + timedelta(3), None).joins
