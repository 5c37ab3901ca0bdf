"""Tables: what people search and what money needs. Temporal owns case state; these are
written by idempotent activities (upsert on a natural key) and read by the API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Index,
    LargeBinary,
    Numeric,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime
from domain.policy import fund_code


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=128)
    password_hash: str = Field(max_length=256)
    roles: str = Field(max_length=256, description="comma-separated role names")
    email: str | None = Field(default=None, max_length=256)
    active: bool = True
    # part of every token: bumped by a logout, a password change or a deactivation, which
    # revokes every token issued before (api/security.py)
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # base32 TOTP secret (RFC 6238) once enrolled; required of finance and supervisors
    totp_secret: str | None = Field(default=None, max_length=64)
    # the regions whose cases the user works: comma-separated region codes, or "*" for all
    # regions (explicit: an empty value sees no region at all); domain/access.py
    regions: str = Field(default="*", max_length=256, sa_column_kwargs={"server_default": "*"})

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


@event.listens_for(User, "before_update")
def _revoke_tokens(_mapper: Any, _conn: Any, user: User) -> None:
    """A new password, a deactivation (or reactivation) or a new TOTP secret revokes every
    token issued before, whichever code path made the change."""
    attrs = inspect(user).attrs
    watched = ("password_hash", "active", "totp_secret")
    if any(attrs[name].history.has_changes() for name in watched):
        user.token_version = (user.token_version or 0) + 1


class CaseRecord(SQLModel, table=True):
    """Read model of one case, kept by the case workflow's sync activity."""

    __tablename__ = "cases"

    case_id: str = Field(primary_key=True, max_length=32)
    region_code: str = Field(max_length=6, index=True)
    status: str = Field(max_length=32, index=True)
    stage: str = Field(max_length=32, index=True)
    closure_reason: str | None = Field(default=None, max_length=64)
    claimant_name: str | None = Field(default=None, max_length=128, index=True)
    national_id_masked: str | None = Field(default=None, max_length=18)
    national_id_hash: str | None = Field(default=None, max_length=64, index=True)
    employer_name: str | None = Field(default=None, max_length=256)
    employer_uscc: str | None = Field(default=None, max_length=18, index=True)
    separation_date: date | None = None
    notice_date: date | None = None
    employer_report_received: date | None = None
    registration_date: date | None = None
    employer_report_due: date | None = None
    registration_due: date | None = None
    review_due: date | None = None
    # the years a running deadline of the case was computed without (space-separated, e.g.
    # "2027"): the cases to recompute when an admin loads one (db/calendar_years.py)
    provisional_years: str | None = Field(default=None, max_length=64, index=True)
    deadline_details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    entitlement_months: int | None = None
    monthly_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    entitlement_start: date | None = None
    entitlement_end: date | None = None
    proposal: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    synced_seq: int = 0
    opened_at: datetime | None = _ts()
    updated_at: datetime | None = _ts(index=True)


class CaseEvent(SQLModel, table=True):
    """One line of a case's timeline; (case_id, seq) is the workflow's own event counter."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=32, index=True)
    seq: int
    at: datetime | None = _ts()
    type: str = Field(max_length=64)
    actor: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Task(SQLModel, table=True):
    """A human task in the worklist; the workflow that opened it waits for its completion."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_group_status_due", "group", "status", "due_at"),
        Index("ix_tasks_assignee_status_due", "assignee", "status", "due_at"),
    )

    task_id: str = Field(primary_key=True, max_length=96)
    kind: str = Field(max_length=48, index=True)
    case_id: str | None = Field(default=None, max_length=32, index=True)
    workflow_id: str = Field(max_length=128)
    group: str = Field(max_length=32)
    original_group: str | None = Field(default=None, max_length=32)
    assignee: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=16)
    priority: int = 50
    escalated: bool = False
    # its due time derives from a deadline computed without its year's official calendar
    provisional: bool = False
    title: str = Field(default="", max_length=256)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _ts()
    due_at: datetime | None = _ts(nullable=True)
    reminded_at: datetime | None = _ts(nullable=True)
    escalated_at: datetime | None = _ts(nullable=True)
    completed_at: datetime | None = _ts(nullable=True)
    completed_by: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=32)
    reason: str | None = None
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class AuditEntry(SQLModel, table=True):
    """Who did what, when and why; written in the same transaction as the change."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True, description="idempotency key")
    at: datetime | None = _ts(index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=96, index=True)
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # the hash chain (db/audit.py seals every row): position, the previous row's hash, this
    # row's hash = SHA-256(prev_hash + canonical row)
    seq: int | None = Field(default=None, nullable=False, unique=True)
    prev_hash: str | None = Field(default=None, nullable=False, max_length=64)
    row_hash: str | None = Field(default=None, nullable=False, max_length=64)


class AuditChainHead(SQLModel, table=True):
    """The audit chain's last link (one row, id 1): updating it first serializes the writers."""

    __tablename__ = "audit_chain"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = 0
    last_hash: str = Field(max_length=64)


class Notification(SQLModel, table=True):
    """Outbox: one row per message; `key` makes a retried send a no-op."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    case_id: str | None = Field(default=None, max_length=32, index=True)
    channel: str = Field(max_length=16)
    recipient: str | None = Field(default=None, max_length=256)
    subject: str = Field(max_length=256)
    body: str
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime | None = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class Region(SQLModel, table=True):
    """A pooling region (统筹地区) known to the system; its rules live in policy/<code>.toml."""

    __tablename__ = "regions"

    region_code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=64)
    province_code: str = Field(max_length=2)


class WorkerHeartbeat(SQLModel, table=True):
    """Liveness of worker processes (wall-clock), read by /api/v1/health."""

    __tablename__ = "worker_heartbeats"

    worker_id: str = Field(primary_key=True, max_length=128)
    task_queue: str = Field(max_length=128, index=True)
    seen_at: datetime | None = _ts()


class SavedFilter(SQLModel, table=True):
    """A worklist filter a user saved; kept on the server so it follows them to any desk."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("username", "name", name="uq_saved_filters_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    name: str = Field(max_length=64)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _ts()


class Determination(SQLModel, table=True):
    """A decision kept as evidence: its inputs, the policy and code versions it used, who
    made it and why, so it can be shown, printed and re-checked later."""

    __tablename__ = "determinations"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True, description="idempotency key")
    case_id: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=48)
    outcome: str = Field(max_length=48)
    actor: str = Field(max_length=64)
    at: datetime | None = _ts()
    policy_version: str | None = Field(default=None, max_length=64)
    code_version: str = Field(max_length=64)
    inputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason_text: str | None = None


class Payment(SQLModel, table=True):
    """One payment obligation of the UI fund ledger: unique on (case, month, category), so a
    benefit month is owed at most once. `end_to_end_id` names the current bank transaction
    (a re-issue after a return is a new attempt with a new ID)."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("case_id", "month", "category", name="uq_payments_case_month_category"),
        Index("ix_payments_status_region", "status", "region_code"),
        Index("ix_payments_fund_category", "fund", "category"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=32, index=True)
    region_code: str = Field(max_length=6)
    # the region's unemployment-insurance fund the entry belongs to (`UI-<region>`, the policy
    # files' [fund] code): filled from region_code on insert when not given
    fund: str = Field(default="", max_length=16)
    month: int
    period_start: date
    period_end: date
    category: str = Field(max_length=32)
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempt: int = 1
    end_to_end_id: str = Field(max_length=35, unique=True)
    run_id: str | None = Field(default=None, max_length=64, index=True)
    bank_code: str | None = Field(default=None, max_length=16)
    account_number: str | None = Field(default=None, max_length=34)
    account_name: str | None = Field(default=None, max_length=128)
    returned_reason: str | None = Field(default=None, max_length=64)
    # who re-issued it to a payee other than the one before (a new account or name): a run
    # holding any such payment needs a second person's approval whatever its total
    payee_changed_by: str | None = Field(default=None, max_length=64)
    settled_on: date | None = None
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


@event.listens_for(Payment, "before_insert")
def _name_the_fund(_mapper: Any, _conn: Any, target: Payment) -> None:
    """Every ledger entry names its region's fund (issue 12 §3), whichever code wrote it."""
    if not target.fund:
        target.fund = fund_code(target.region_code)


class PaymentRun(SQLModel, table=True):
    """One credit-transfer run (one pain.001 message, message ID = run_id)."""

    __tablename__ = "payment_runs"

    run_id: str = Field(primary_key=True, max_length=64)
    region_code: str = Field(max_length=6)
    status: str = Field(max_length=24)
    count: int = 0
    total: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(14, 2), nullable=False))
    totals: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    released_by: str | None = Field(default=None, max_length=64)
    approved_by: str | None = Field(default=None, max_length=64)
    created_at: datetime | None = _ts()
    submitted_at: datetime | None = _ts(nullable=True)
    completed_at: datetime | None = _ts(nullable=True)


class BankStatusReport(SQLModel, table=True):
    """A status report (pain.002) the bank's webhook delivered, kept as received: the signed
    evidence of what the bank said, and what the payment run applies (it is told the report's
    ID only, so a run of 100,000 does not carry their statuses through its history)."""

    __tablename__ = "bank_status_reports"

    report_id: str = Field(primary_key=True, max_length=64)  # SHA-256 of the body (hex)
    run_id: str = Field(max_length=64, index=True)  # the original message ID
    msg_id: str = Field(max_length=64)  # the bank's own message ID
    statuses: int = 0  # transactions reported
    received_at: datetime | None = _ts()
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the bytes received


class BankMessageSeen(SQLModel, table=True):
    """The message ID of every signed answer taken from the bank (pain.002 pushed or polled,
    camt.053): a nonce, so the same message presented again is refused as a replay."""

    __tablename__ = "bank_messages_seen"

    msg_id: str = Field(primary_key=True, max_length=64)  # the bank's GrpHdr/MsgId
    kind: str = Field(max_length=16)  # pain.002 | camt.053
    received_at: datetime | None = _ts()


class CalendarYear(SQLModel, table=True):
    """A year's official holiday schedule (the State Council's notice) loaded by an
    administrator, laid over the years the chinese-calendar package ships. Every API process
    and the worker read it; `version` rises with each load, so a process re-reads on a change."""

    __tablename__ = "calendar_years"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(unique=True)
    schedule: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # ISO dates
    document: str  # the text as loaded, kept as evidence
    document_format: str = Field(max_length=8)
    sha256: str = Field(max_length=64)
    loaded_by: str = Field(max_length=64)
    loaded_at: datetime | None = _ts()


class ReconciliationRecord(SQLModel, table=True):
    """One day's statement-against-ledger result (账账相符); mismatches become finance tasks."""

    __tablename__ = "reconciliations"

    day: date = Field(primary_key=True)
    status: str = Field(max_length=16)
    matched: int = 0
    paid_by_category: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    mismatches: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    at: datetime | None = _ts()


# The worklist reads active tasks only: partial indexes in the list's own order (due_at,
# priority DESC, task_id); escalated too in the group one (migration 0005).
_tasks = Task.__table__  # type: ignore[attr-defined]
_ACTIVE_TASKS = text("status IN ('open', 'claimed')")
Index(
    "ix_tasks_active_group_due",
    _tasks.c.group,
    _tasks.c.due_at,
    _tasks.c.priority.desc(),
    _tasks.c.task_id,
    _tasks.c.escalated,
    postgresql_where=_ACTIVE_TASKS,
    sqlite_where=_ACTIVE_TASKS,
)
Index(
    "ix_tasks_active_assignee_due",
    _tasks.c.assignee,
    _tasks.c.due_at,
    _tasks.c.priority.desc(),
    _tasks.c.task_id,
    postgresql_where=_ACTIVE_TASKS,
    sqlite_where=_ACTIVE_TASKS,
)
