"""The two entry points of a case (DOMAIN.md stages 1-2), signalled by the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

# Which of the two a barrier waits for (ClaimWorkflow.written_through).
Submission = Literal["employer_report", "registration"]


@dataclass
class BankAccount:
    bank_code: str
    account_number: str
    account_name: str


@dataclass
class EmployerReport:
    """The employer's termination report (退工手续), DOMAIN.md stage 1."""

    uscc: str
    employer_name: str
    national_id: str
    claimant_name: str
    region_code: str
    separation_date: date
    notice_date: date
    reason_code: str
    contribution_months: int
    claimant_phone: str | None = None
    claimant_email: str | None = None
    employer_email: str | None = None
    employer_phone: str | None = None
    submitted_by: str = ""


@dataclass
class Registration:
    """The claimant's unemployment registration and application, DOMAIN.md stage 2."""

    national_id: str
    name: str
    region_code: str
    separation_date: date
    seeking_work: bool
    notice_date: date | None = None
    phone: str | None = None
    email: str | None = None
    bank_account: BankAccount | None = None
    employer_uscc: str | None = None
    employer_name: str | None = None
    employer_email: str | None = None
    submitted_by: str = ""
