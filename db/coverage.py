"""Reading the medical tables (db/medical.py) for the medical and transfer activities: each
case's coverage and the lines of the declarations to the agency (keyword-only; the caller owns
the session, so the transaction)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlmodel import Session, col, select

from db.medical import MedicalCoverage, MedicalDeclarationLine


def coverage_of(session: Session, *, case_id: str) -> MedicalCoverage | None:
    """The case's coverage (one per case), if it has one."""
    stmt = select(MedicalCoverage).where(MedicalCoverage.case_id == case_id)
    return session.exec(stmt).first()


def coverages_of(session: Session, *, case_ids: Collection[str]) -> dict[str, MedicalCoverage]:
    """The coverage of each of these cases that has one, by case ID."""
    stmt = select(MedicalCoverage).where(col(MedicalCoverage.case_id).in_(case_ids))
    return {c.case_id: c for c in session.exec(stmt).all()}


def live_in_region(
    session: Session, *, region_code: str, statuses: Collection[str], starting_before: date
) -> list[MedicalCoverage]:
    """The region's covers in one of `statuses` that start before the day, by case ID."""
    stmt = (
        select(MedicalCoverage)
        .where(
            MedicalCoverage.region_code == region_code,
            col(MedicalCoverage.status).in_(statuses),
            MedicalCoverage.start_date < starting_before,
        )
        .order_by(col(MedicalCoverage.case_id))
    )
    return list(session.exec(stmt).all())


def any_live_in_region(
    session: Session, *, region_code: str, statuses: Collection[str], starting_before: date
) -> bool:
    """Whether `live_in_region` would find any cover (the medical calendar skips a month's
    declaration that would be empty)."""
    stmt = (
        select(MedicalCoverage.id)
        .where(
            MedicalCoverage.region_code == region_code,
            col(MedicalCoverage.status).in_(statuses),
            MedicalCoverage.start_date < starting_before,
        )
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def has_line(
    session: Session, *, case_id: str, action: str | None = None, status: str | None = None
) -> bool:
    """Whether the case was declared (with that action, in that status, when given)."""
    stmt = select(MedicalDeclarationLine.id).where(MedicalDeclarationLine.case_id == case_id)
    if action is not None:
        stmt = stmt.where(MedicalDeclarationLine.action == action)
    if status is not None:
        stmt = stmt.where(MedicalDeclarationLine.status == status)
    return session.exec(stmt).first() is not None


def lines_of_cases(session: Session, *, case_ids: list[str]) -> list[MedicalDeclarationLine]:
    """Every line of these cases (the caller keeps the list short: one IN list)."""
    stmt = select(MedicalDeclarationLine).where(col(MedicalDeclarationLine.case_id).in_(case_ids))
    return list(session.exec(stmt).all())


def lines_of_batch(session: Session, *, batch_key: str) -> list[MedicalDeclarationLine]:
    """A declaration's lines in the order they were written."""
    stmt = (
        select(MedicalDeclarationLine)
        .where(MedicalDeclarationLine.batch_key == batch_key)
        .order_by(col(MedicalDeclarationLine.id))
    )
    return list(session.exec(stmt).all())


def rejected_lines(
    session: Session, *, batch_key: str, case_id: str
) -> list[MedicalDeclarationLine]:
    """The case's lines the agency rejected in the batch, not yet re-declared or withdrawn."""
    stmt = select(MedicalDeclarationLine).where(
        MedicalDeclarationLine.batch_key == batch_key,
        MedicalDeclarationLine.case_id == case_id,
        MedicalDeclarationLine.status == "rejected",
    )
    return list(session.exec(stmt).all())


def people_of_batch(session: Session, *, batch_key: str) -> dict[str, str]:
    """Each line of the batch: line ID -> the person reference it declares."""
    stmt = select(MedicalDeclarationLine.line_id, MedicalDeclarationLine.person_ref).where(
        MedicalDeclarationLine.batch_key == batch_key
    )
    return dict(session.exec(stmt).all())


def lines_with_people(
    session: Session, *, batch_key: str
) -> list[tuple[MedicalDeclarationLine, str, str]]:
    """The batch's lines in order, each with the identity number and name of its cover (the
    declaration's wire form: never logged)."""
    stmt = (
        select(MedicalDeclarationLine, MedicalCoverage.national_id, MedicalCoverage.name)
        .join(MedicalCoverage, col(MedicalCoverage.case_id) == col(MedicalDeclarationLine.case_id))
        .where(MedicalDeclarationLine.batch_key == batch_key)
        .order_by(col(MedicalDeclarationLine.id))
    )
    return [(line, nid, name) for line, nid, name in session.exec(stmt).all()]
