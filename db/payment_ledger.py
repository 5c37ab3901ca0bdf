"""The ledger side of the bank's statuses, in SQL Core (no ORM rows): which payments of a run
a set of statuses changes, and recording those changes once, a few statements per thousand.

A payment already settled, returned or cancelled is never changed again, and each change
writes its audit entry once (key `payment:<end-to-end ID>:<status>`): applying the same
statuses twice changes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, func, select, update

from db import audit
from db.models import AuditEntry, Payment, PaymentRun
from iso20022.pain001 import CreditTransfer

CHUNK = 1000  # identifiers per IN (...) list
FINAL = ("settled", "returned", "cancelled")
PAYMENTS = Payment.__table__  # type: ignore[attr-defined]
AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
RUNS = PaymentRun.__table__  # type: ignore[attr-defined]
T = TypeVar("T")
# what the payee reads on their statement, by ledger category
REMITTANCE = {
    "benefit": "失业保险金",
    "medical_premium": "医疗保险费",
    "funeral_grant": "丧葬补助金",
    "survivor_pension": "抚恤金",
    "lump_sum": "失业保险金(一次性)",
}


@dataclass
class Wanted:
    """A final status the bank reported for one transaction."""

    status: str  # settled | returned
    reason: str | None
    day: date  # the booking date of a settlement (unused for a return)
    booked_at: datetime | None = None  # the bank's booking time, when it gave one


@dataclass
class Change:
    end_to_end_id: str
    case_id: str
    month: int
    category: str
    amount: Decimal
    status: str
    reason: str | None
    day: date
    booked_at: datetime | None = None


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(engine: Engine, run_id: str, wanted: dict[str, Wanted]) -> list[Change]:
    """The payments of the run that `wanted` moves to a final status (in the given order)."""
    p = PAYMENTS.c
    found: dict[str, Any] = {}
    with engine.connect() as conn:
        for ids in chunks(list(wanted)):
            rows = conn.execute(
                select(p.end_to_end_id, p.case_id, p.month, p.category, p.amount, p.status).where(
                    p.run_id == run_id, p.end_to_end_id.in_(ids)
                )
            )
            found.update((r.end_to_end_id, r) for r in rows)
    changes = []
    for e2e, w in wanted.items():
        row = found.get(e2e)
        if row is None or row.status in FINAL:
            continue
        changes.append(
            Change(
                e2e,
                row.case_id,
                row.month,
                row.category,
                row.amount,
                w.status,
                w.reason,
                w.day,
                w.booked_at,
            )
        )
    return changes


def record(engine: Engine, run_id: str, at: datetime, changes: list[Change]) -> None:
    """Write the changes in one transaction: one UPDATE per status, day and reason for each
    thousand, the audit entries inserted together (those not written before)."""
    p, a = PAYMENTS.c, AUDIT.c
    groups: dict[tuple[str, str | None, date | None], list[str]] = defaultdict(list)
    for ch in changes:
        settled_on = ch.day if ch.status == "settled" else None
        groups[(ch.status, ch.reason if ch.status == "returned" else None, settled_on)].append(
            ch.end_to_end_id
        )
    with engine.begin() as conn:
        for (status, reason, settled_on), ids in groups.items():
            values: dict[str, Any] = {"status": status, "updated_at": at}
            if status == "settled":
                values["settled_on"] = settled_on
            else:
                values["returned_reason"] = reason
            for part in chunks(ids):
                conn.execute(
                    update(PAYMENTS)
                    .where(p.run_id == run_id, p.end_to_end_id.in_(part), p.status.not_in(FINAL))
                    .values(**values)
                )
        _audit(conn, at, changes, a)


def _audit(conn: Connection, at: datetime, changes: list[Change], a: Any) -> None:
    keyed = {f"payment:{ch.end_to_end_id}:{ch.status}": ch for ch in changes}
    written: set[str] = set()
    for keys in chunks(list(keyed)):
        written.update(conn.execute(select(a.key).where(a.key.in_(keys))).scalars())
    rows = [
        {
            "key": key,
            # the bank's booking time when it gave one: the journal that reconciliation
            # reads returns from then agrees with the statement's booking date
            "at": ch.booked_at or at,
            "actor": "bank",
            "action": f"payment_{ch.status}",
            "entity_type": "case",
            "entity_id": ch.case_id,
            "reason": ch.reason,
            "data": {
                "applied_at": at.isoformat(),
                "end_to_end_id": ch.end_to_end_id,
                "month": ch.month,
                "amount": str(ch.amount),
                "category": ch.category,
            },
        }
        for key, ch in keyed.items()
        if key not in written
    ]
    audit.insert_rows(conn, rows)  # sealed into the audit chain


def outstanding(engine: Engine, run_id: str) -> int:
    """The run's payments sent and still waiting for the bank's final status."""
    p = PAYMENTS.c
    with engine.connect() as conn:
        stmt = select(func.count()).where(p.run_id == run_id, p.status == "sent")
        return int(conn.execute(stmt).scalar_one())


def returned(engine: Engine, run_id: str, limit: int) -> list[tuple[str, str, int, str | None]]:
    """The run's payments returned by the bank and not yet re-issued or cancelled (end-to-end
    ID, case, month, reason), oldest first, at most `limit`."""
    p = PAYMENTS.c
    stmt = (
        select(p.end_to_end_id, p.case_id, p.month, p.returned_reason)
        .where(p.run_id == run_id, p.status == "returned")
        .order_by(p.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [(r[0], r[1], r[2], r[3]) for r in conn.execute(stmt)]


def run_transfers(engine: Engine, run_id: str) -> tuple[datetime, list[CreditTransfer]]:
    """The run's creation time and its transfers (pending or sent), by end-to-end ID."""
    p, r = PAYMENTS.c, RUNS.c
    with engine.connect() as conn:
        created_at = conn.execute(select(r.created_at).where(r.run_id == run_id)).scalar_one()
        rows = conn.execute(
            select(
                p.end_to_end_id, p.amount, p.account_name, p.account_number, p.bank_code,
                p.period_start, p.category,
            )
            .where(p.run_id == run_id, p.status.in_(("pending", "sent")))
            .order_by(p.end_to_end_id)
        ).all()  # fmt: skip
    if created_at.tzinfo is None:  # SQLite keeps no offset: stored as UTC
        created_at = created_at.replace(tzinfo=UTC)
    return created_at, [
        CreditTransfer(
            end_to_end_id=row.end_to_end_id,
            amount=row.amount,
            creditor_name=row.account_name or "",
            creditor_account=row.account_number or "",
            creditor_bank_code=row.bank_code or "",
            remittance=f"{REMITTANCE.get(row.category, row.category)} {row.period_start:%Y-%m}",
        )
        for row in rows
    ]
