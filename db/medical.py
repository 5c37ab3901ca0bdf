"""Medical-insurance tables (DOMAIN.md stage 6): each claimant's coverage while benefits are
paid, and the monthly declarations to the medical-insurance agency with their lines.

Written by idempotent activities (activities/medical_*.py) on natural keys: one coverage per
case, one batch per key (region and month, or a re-declaration of it), one line per case,
month and action, so a retried or repeated declaration never declares a month twice."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class MedicalCoverage(SQLModel, table=True):
    """A claimant's medical and maternity cover, exactly as long as the benefit (范文1 §3.1).

    `person_ref` is the keyed hash of the identity number (as cases.national_id_hash); the
    plain number is kept only because the agency's declaration needs it: it is sent to the
    agency and never logged, shown or put in a workflow's history by these tables' code."""

    __tablename__ = "medical_coverage"
    __table_args__ = (
        UniqueConstraint("case_id", name="uq_medical_coverage_case"),
        Index("ix_medical_coverage_region_status", "region_code", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=32)
    region_code: str = Field(max_length=6)  # where the relationship is (declared there)
    # the region whose fund pays the premiums when it is not `region_code`: an in-province
    # transfer moves the relationship, not the paying agency (issue 12 §2)
    paying_region_code: str | None = Field(default=None, max_length=6)
    person_ref: str = Field(max_length=64, index=True)
    national_id: str = Field(max_length=18, repr=False)
    name: str = Field(max_length=128)
    start_date: date  # the day the case became active
    stop_date: date | None = None  # the first day without benefit (None while they last)
    stop_reason: str | None = Field(default=None, max_length=64)
    # pending (not yet enrolled) | enrolled | stopping (stop to declare) | stopped | withdrawn
    status: str = Field(default="pending", max_length=16)
    cash_option: bool = False  # 范文1 §4.6: the premium paid to the claimant, not declared
    cash_option_request: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    bank_code: str | None = Field(default=None, max_length=16)  # the claimant's account,
    account_number: str | None = Field(default=None, max_length=34)  # where a cash-option
    account_name: str | None = Field(default=None, max_length=128)  # premium is paid
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()

    @property
    def paying_region(self) -> str:
        """The region whose fund the premiums are booked to."""
        return self.paying_region_code or self.region_code


class MedicalDeclaration(SQLModel, table=True):
    """One declaration batch to the agency: a region's month (`220100-202611`), or the
    re-declaration of lines the agency rejected (`220100-202611-R1`). The agency accepts a
    batch key once, so sending it again after a crash declares nothing twice."""

    __tablename__ = "medical_declarations"
    __table_args__ = (Index("ix_medical_declarations_region_month", "region_code", "month"),)

    batch_key: str = Field(primary_key=True, max_length=48)
    region_code: str = Field(max_length=6)
    month: date  # the first day of the month declared
    kind: str = Field(default="monthly", max_length=16)  # monthly | redeclaration
    workflow_id: str = Field(max_length=128)
    # assembled | empty | declared (awaiting the answer) | answered | applied
    status: str = Field(default="assembled", max_length=16)
    line_count: int = 0
    premium_total: Decimal = Field(
        default=Decimal("0.00"), sa_column=Column(Numeric(14, 2), nullable=False)
    )
    # the month's cash-option premiums owed to claimants instead (no lines): kept, so the
    # assembly run again answers the same count
    cash_premiums: int = 0
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # as verified
    last_error: str | None = None  # an answer refused (it named unknown lines, ...)
    created_at: datetime | None = _ts()
    declared_at: datetime | None = _ts(nullable=True)
    answered_at: datetime | None = _ts(nullable=True)
    applied_at: datetime | None = _ts(nullable=True)


class MedicalDeclarationLine(SQLModel, table=True):
    """One line of a batch: enrol (参保登记), continue (the month's premium) or stop (停保),
    for one case and month; unique on (case, month, action), so a month is declared once."""

    __tablename__ = "medical_declaration_lines"
    __table_args__ = (
        UniqueConstraint("case_id", "month", "action", name="uq_medical_lines_case_month_action"),
    )

    id: int | None = Field(default=None, primary_key=True)
    line_id: str = Field(max_length=40, unique=True)
    batch_key: str = Field(max_length=48, index=True)
    case_id: str = Field(max_length=32, index=True)
    region_code: str = Field(max_length=6)
    person_ref: str = Field(max_length=64)
    action: str = Field(max_length=16)  # enrol | continue | stop
    month: date  # the month the premium is for (a stop: the month it is declared in)
    premium: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    stop_date: date | None = None
    status: str = Field(default="pending", max_length=16)  # pending|accepted|rejected|withdrawn
    reason: str | None = None  # the agency's reason for a rejection; a clerk's for a withdrawal
    duplicate_premium: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
