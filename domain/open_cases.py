"""One person, one open case (issue 9 §4): when an intake joins the person's open case, and
when it is a parallel intake the door refuses.

A person (keyed by the identity hash) has at most one open case. The two entry points of a
case are the employer's report (DOMAIN.md stage 1, seed 000 范文2 art. 31, seed 002 art. 8:
within 15 days of the separation) and the claimant's registration (stage 2, seed 000 art. 32,
seed 002 art. 8: within 30 days of the notice); both describe one separation, and the dates
they give may differ (a typing error, or the employer's date against the claimant's).

An intake for a person with an open case *joins* it when:
- the case already holds the same kind of submission with the same separation date (a repeat,
  idempotent as before); or
- the case is still in intake and lacks this kind of submission, the employer (when both name
  one) is the same, and the two separation dates are at most MATCH_WINDOW_DAYS apart: two
  accounts of one separation. Differing dates then meet in the case, where a clerk settles them
  (the `separation_date_mismatch` task); or
- the case has left intake and the dates are equal (a late employer report after a supervisor
  recorded its facts).

Anything else is a *conflicting* parallel intake (HTTP 409 naming the open case): a second
report or registration with another date, another employer, dates further apart than the
registration period, or a new date for a case already under review or paid. A case that has
ended (rejected, stopped, exhausted, transferred out, or its workflow finished) is no longer
open, so a new separation then opens a new case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

# Two dates further apart than the claimant's registration period (30 days, seed 000 art. 32;
# seed 002 art. 8) cannot both be the one separation an open intake is about: the employer's
# report is due within 15 days of it, the registration within 30 days of its notice.
MATCH_WINDOW_DAYS = 30

Kind = Literal["employer_report", "registration"]
KIND_TEXT: dict[str, str] = {
    "employer_report": "an employer report",
    "registration": "a registration",
}


@dataclass(frozen=True)
class OpenCaseView:
    """What the open-case register knows of a person's open case."""

    case_id: str
    report_separation: date | None
    registration_separation: date | None
    employer_uscc: str | None
    in_intake: bool  # still waiting for one of its submissions (no review yet)

    def separation_of(self, kind: Kind) -> date | None:
        return self.report_separation if kind == "employer_report" else self.registration_separation


@dataclass(frozen=True)
class Verdict:
    joins: bool
    why: str  # for a conflict: what the open case already holds


def match_intake(
    case: OpenCaseView, kind: Kind, separation: date, employer_uscc: str | None
) -> Verdict:
    """Does an intake of `kind` for `separation` join the person's open `case`?"""
    same = case.separation_of(kind)
    other = case.separation_of("registration" if kind == "employer_report" else "employer_report")
    if same is not None:
        if same == separation:
            return Verdict(True, "a repeat of the same submission")
        return Verdict(False, f"it already has {KIND_TEXT[kind]} with separation date {same}")
    if not case.in_intake:
        if other == separation:
            return Verdict(True, "the missing part of the case")
        return Verdict(False, f"it is past intake with separation date {other}")
    if employer_uscc and case.employer_uscc and employer_uscc != case.employer_uscc:
        return Verdict(False, f"it is about a separation from employer {case.employer_uscc}")
    if other is not None and abs((separation - other).days) > MATCH_WINDOW_DAYS:
        return Verdict(
            False,
            f"its separation date {other} is more than {MATCH_WINDOW_DAYS} days from {separation}",
        )
    return Verdict(True, "the other part of the same separation")
