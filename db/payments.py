"""Reading the payment ledger and the payment runs for finance's pages and reconciliation
(keyword-only; the caller owns the session). Writing them is the ledger activities' job."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from db.models import AuditEntry, Payment, PaymentRun


def settled_by_category(session: Session, *, day: date) -> list[tuple[str, int, Decimal]]:
    """(category, how many, their sum) of the payments settled on `day`, by category."""
    rows = session.exec(
        select(Payment.category, func.count(), func.sum(Payment.amount))
        .where(col(Payment.status) == "settled", col(Payment.settled_on) == day)
        .group_by(col(Payment.category))
        .order_by(col(Payment.category))
    ).all()
    return [(c, int(n), Decimal(str(s or 0))) for c, n, s in rows]


def runs_page(
    session: Session, *, page: int, page_size: int, regions: tuple[str, ...] | None = None
) -> tuple[list[PaymentRun], int]:
    """A page of the runs, newest first, and how many there are (of `regions` only, when
    given: region-scoped finance staff)."""
    mine = [] if regions is None else [col(PaymentRun.region_code).in_(regions)]
    total = session.exec(select(func.count()).select_from(PaymentRun).where(*mine)).one()
    runs = session.exec(
        select(PaymentRun)
        .where(*mine)
        .order_by(col(PaymentRun.created_at).desc(), col(PaymentRun.run_id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(runs), int(total)


def find_run(session: Session, *, run_id: str) -> PaymentRun | None:
    return session.get(PaymentRun, run_id)


def payments_of_run(session: Session, *, run_id: str) -> list[Payment]:
    stmt = (
        select(Payment)
        .where(col(Payment.run_id) == run_id)
        .order_by(col(Payment.case_id), col(Payment.month), col(Payment.category))
    )
    return list(session.exec(stmt))


def returned(session: Session, *, regions: tuple[str, ...] | None = None) -> list[Payment]:
    """The payments the bank returned, latest first (of `regions` only, when given)."""
    mine = [] if regions is None else [col(Payment.region_code).in_(regions)]
    stmt = (
        select(Payment)
        .where(col(Payment.status) == "returned", *mine)
        .order_by(col(Payment.updated_at).desc(), col(Payment.id))
    )
    return list(session.exec(stmt))


def totals_by_fund(session: Session) -> list[tuple[str, str, date, Decimal]]:
    """(fund, category, period start, sum) of the ledger, cancelled entries left out."""
    fund, category, start = col(Payment.fund), col(Payment.category), col(Payment.period_start)
    stmt = (
        select(fund, category, start, func.sum(Payment.amount))
        .where(col(Payment.status) != "cancelled")
        .group_by(fund, category, start)
    )
    return [(f, c, d, Decimal(str(a or 0))) for f, c, d, a in session.exec(stmt).all()]


def known_end_to_end_ids(session: Session, *, run_id: str, end_to_end_ids: list[str]) -> set[str]:
    """Which of these end-to-end IDs are payments of the run."""
    stmt = select(Payment.end_to_end_id).where(
        Payment.run_id == run_id, col(Payment.end_to_end_id).in_(end_to_end_ids)
    )
    return set(session.exec(stmt).all())


def find_obligation(session: Session, *, case_id: str, month: int, category: str) -> Payment | None:
    """The ledger entry of a case's month and category (unique), if it is owed already."""
    stmt = select(Payment).where(
        Payment.case_id == case_id,
        Payment.month == month,
        Payment.category == category,
    )
    return session.exec(stmt).first()


def first_owed_amount(session: Session, *, end_to_end_id: str) -> Decimal | None:
    """The amount an obligation was first owed at (its `owed` audit entry), before any offset."""
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.key == f"payment:{end_to_end_id}:owed")
    ).first()
    return Decimal(str(entry.data["amount"])) if entry is not None else None


def settled_on(session: Session, *, day: date) -> list[Payment]:
    """The payments settled on `day` (the ledger's side of a reconciliation)."""
    stmt = select(Payment).where(Payment.status == "settled", Payment.settled_on == day)
    return list(session.exec(stmt).all())


def settled_between(session: Session, *, first: date, last: date) -> list[Payment]:
    """The payments settled on the days `first`..`last` (a range reconciled together)."""
    stmt = select(Payment).where(
        Payment.status == "settled",
        col(Payment.settled_on) >= first,
        col(Payment.settled_on) <= last,
    )
    return list(session.exec(stmt).all())


def returns_journaled(session: Session, *, start: datetime, end: datetime) -> list[AuditEntry]:
    """The audit entries of payments returned in [start, end): they keep the returned
    transaction even after it is re-issued under a new ID."""
    stmt = select(AuditEntry).where(
        AuditEntry.action == "payment_returned",
        col(AuditEntry.at) >= start,
        col(AuditEntry.at) < end,
    )
    return list(session.exec(stmt).all())


def find_payment(session: Session, *, end_to_end_id: str) -> Payment | None:
    """The ledger entry of an end-to-end ID (unique), if there is one."""
    return session.exec(select(Payment).where(Payment.end_to_end_id == end_to_end_id)).first()


def months_of(session: Session, *, case_id: str, category: str) -> set[int]:
    """The months of a case that have an entry of the category (owed, paid or cancelled)."""
    stmt = select(Payment.month).where(Payment.case_id == case_id, Payment.category == category)
    return set(session.exec(stmt).all())


def entries_of(session: Session, *, case_id: str, category: str) -> list[Payment]:
    """A case's entries of one category, by month."""
    stmt = (
        select(Payment)
        .where(Payment.case_id == case_id, Payment.category == category)
        .order_by(col(Payment.month))
    )
    return list(session.exec(stmt).all())


# ---- a payment run's obligations (activities/payments.py) -----------------------------------


def gather_into_run(session: Session, *, run_id: str, region_code: str, cutoff: date) -> None:
    """Every pending obligation of the region not in a run, owed up to the cutoff, joins it."""
    session.execute(
        update(Payment)
        .where(
            col(Payment.region_code) == region_code,
            col(Payment.status) == "pending",
            col(Payment.run_id).is_(None),
            col(Payment.period_start) <= cutoff,
        )
        .values(run_id=run_id)
    )


def any_owed(session: Session, *, region_code: str, cutoff: date) -> bool:
    """Whether `gather_into_run` would find anything: a pending obligation of the region not
    in a run, owed up to the cutoff (the payout calendar skips a run that would be empty)."""
    stmt = (
        select(Payment.id)
        .where(
            col(Payment.region_code) == region_code,
            col(Payment.status) == "pending",
            col(Payment.run_id).is_(None),
            col(Payment.period_start) <= cutoff,
        )
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def run_totals(session: Session, *, run_id: str) -> list[tuple[str, int, Decimal | None]]:
    """(category, how many, their sum) of the run's obligations."""
    rows = session.exec(
        select(Payment.category, func.count(), func.sum(Payment.amount))
        .where(Payment.run_id == run_id)
        .group_by(col(Payment.category))
    ).all()
    return [(c, int(n), total) for c, n, total in rows]


def changed_payees(session: Session, *, run_id: str) -> int:
    """How many of the run's payments go to a payee changed since (a second approval)."""
    stmt = (
        select(func.count())
        .select_from(Payment)
        .where(Payment.run_id == run_id, col(Payment.payee_changed_by).is_not(None))
    )
    return int(session.exec(stmt).one())


def payee_changers(session: Session, *, run_id: str) -> list[str]:
    """Who changed a payee of the run's payments (none of them may approve the run), sorted."""
    stmt = (
        select(Payment.payee_changed_by)
        .where(Payment.run_id == run_id, col(Payment.payee_changed_by).is_not(None))
        .distinct()
    )
    return sorted(str(c) for c in session.exec(stmt).all())


def release_from_run(session: Session, *, run_id: str) -> None:
    """The run's pending obligations go back to wait for the next run (a held run)."""
    session.execute(
        update(Payment)
        .where(col(Payment.run_id) == run_id, col(Payment.status) == "pending")
        .values(run_id=None)
    )


def mark_sent(session: Session, *, run_id: str, at: datetime) -> None:
    """The run's pending obligations went to the bank."""
    session.execute(
        update(Payment)
        .where(col(Payment.run_id) == run_id, col(Payment.status) == "pending")
        .values(status="sent", updated_at=at)
    )


NOT_AT_BANK = ("pending", "settled", "returned", "cancelled")  # any other status: at the bank


def any_at_bank(session: Session) -> bool:
    """Whether some payment is at the bank (sent, not yet settled, returned or cancelled)."""
    stmt = select(Payment.id).where(col(Payment.status).not_in(NOT_AT_BANK)).limit(1)
    return session.exec(stmt).first() is not None
