"""Recovery tables (issue 11 §4-5): overpayments to recover, their repayments and offsets,
the supervisor's approval of an offset, and the claimant history of unused months.

Written on natural keys so a retry changes nothing: a recovery per idempotency key, a
repayment per key, a history row per closed case. `person_ref` is the keyed hash of the
identity number (as cases.national_id_hash); the plain number is never kept here. The
history is its own table, apart from any lookup of open cases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Recovery(SQLModel, table=True):
    """One overpayment to recover (cause: late_stop_event, fraud_finding, error). A fraud
    finding is `referred` to the labour department, which alone may fine (seed 002)."""

    __tablename__ = "recoveries"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True, description="idempotency key")
    case_id: str = Field(max_length=32, index=True)
    person_ref: str | None = Field(default=None, max_length=64, index=True)
    region_code: str = Field(max_length=6)
    cause: str = Field(max_length=32)
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    evidence: str = Field(max_length=512)
    created_by: str = Field(max_length=64)
    status: str = Field(default="open", max_length=16, index=True)  # open | settled
    referred: bool = False  # fraud: the labour department's decision awaited
    created_at: datetime | None = _ts()


class RecoveryRepayment(SQLModel, table=True):
    """Money taken off a recovery: a repayment finance recorded, or an offset against a later
    case's payment. Each writes one `refund` ledger row (`end_to_end_id`)."""

    __tablename__ = "recovery_repayments"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True, description="idempotency key")
    recovery_id: int = Field(index=True)
    kind: str = Field(max_length=16)  # repayment | offset
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    recorded_by: str = Field(max_length=64)
    reference: str | None = Field(default=None, max_length=128)
    paid_on: date
    end_to_end_id: str = Field(max_length=35, unique=True)
    # an offset: the later case's obligation it reduced
    offset_payment: str | None = Field(default=None, max_length=35)
    offset_case_id: str | None = Field(default=None, max_length=32, index=True)
    at: datetime | None = _ts()


class RecoveryOffset(SQLModel, table=True):
    """A request to offset a recovery against a later case's payments, and a supervisor's
    approval: only an approved one reduces that case's obligations."""

    __tablename__ = "recovery_offsets"
    __table_args__ = (
        UniqueConstraint("recovery_id", "case_id", name="uq_recovery_offsets_recovery_case"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recovery_id: int = Field(index=True)
    case_id: str = Field(max_length=32, index=True)  # the later case whose payments it takes
    status: str = Field(default="requested", max_length=16)  # requested | approved | refused
    requested_by: str = Field(max_length=64)
    decided_by: str | None = Field(default=None, max_length=64)
    reason: str | None = None
    requested_at: datetime | None = _ts()
    decided_at: datetime | None = _ts(nullable=True)


class ClaimantHistory(SQLModel, table=True):
    """A closed case's entitlement as the person's history: months granted, used and unused;
    `carried_into` the later case that added the unused ones (社会保险法 art. 46)."""

    __tablename__ = "claimant_history"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=32, unique=True)
    person_ref: str = Field(max_length=64, index=True)
    region_code: str = Field(max_length=6)
    status: str = Field(max_length=32)
    entitlement_months: int = 0
    used_months: int = 0
    unused_months: int = 0
    carried_in: int = 0  # months this case itself carried from earlier ones
    carried_from: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    carried_into: str | None = Field(default=None, max_length=32)
    closed_on: date | None = None
    at: datetime | None = _ts()
