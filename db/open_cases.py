"""The register of open cases: one row per person (the keyed identity hash, never the number)
with an open case, so that one person never has two cases paid in parallel (issue 9 §4; the
matching rule is domain/open_cases.py).

The primary key on `identity_hash` is what makes it hold under a race: the API claims the row
before it starts a case (two intakes at once: one insert wins, the other finds the winner's
case), records each submission it routes with a compare-and-set, and the case's sync activity
(activities/cases.py) keeps the row in the same transaction as the case record: the case's
first record registers it unless the person already has an open case (a case started by a
script or a test, not through the API), and the case's end deletes it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Engine, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from db.engine import session_scope
from db.types import UTCDateTime
from domain.open_cases import Kind


class OpenCase(SQLModel, table=True):
    """A person's open case; deleted when it ends (rejected, stopped, exhausted, ...)."""

    __tablename__ = "open_cases"

    identity_hash: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(max_length=32, unique=True)
    # the separation date each entry point gave, as the API routed them (None: not yet)
    report_separation: date | None = None
    registration_separation: date | None = None
    employer_uscc: str | None = Field(default=None, max_length=18)
    opened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))

    def separation_of(self, kind: Kind) -> date | None:
        return self.report_separation if kind == "employer_report" else self.registration_separation


def find(engine: Engine, identity_hash: str) -> OpenCase | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(OpenCase, identity_hash)


def _column(kind: Kind) -> str:
    return "report_separation" if kind == "employer_report" else "registration_separation"


def claim(
    engine: Engine,
    identity_hash: str,
    case_id: str,
    kind: Kind,
    separation: date,
    employer_uscc: str | None,
    at: datetime,
) -> bool:
    """Register a new open case for the person; False when another intake got there first
    (the unique identity hash) or the case ID is already registered."""
    row = OpenCase(
        identity_hash=identity_hash, case_id=case_id, employer_uscc=employer_uscc, opened_at=at
    )
    setattr(row, _column(kind), separation)
    try:
        with session_scope(engine) as session:
            session.add(row)
    except IntegrityError:
        return False
    return True


def record(
    engine: Engine,
    identity_hash: str,
    case_id: str,
    kind: Kind,
    separation: date,
    employer_uscc: str | None,
) -> bool:
    """Note that a submission of `kind` was routed to the open case: compare-and-set, so of
    two intakes racing for the same empty slot only one wins (False for the other, which then
    looks again). True when the slot already holds this very date (a repeat)."""
    col = getattr(OpenCase, _column(kind))
    with session_scope(engine) as session:
        filled = session.execute(
            update(OpenCase)
            .where(
                OpenCase.identity_hash == identity_hash,  # type: ignore[arg-type]
                OpenCase.case_id == case_id,  # type: ignore[arg-type]
                col.is_(None),
            )
            .values({_column(kind): separation})
        )
        if filled.rowcount:  # type: ignore[attr-defined]
            if employer_uscc:
                session.execute(
                    update(OpenCase)
                    .where(
                        OpenCase.identity_hash == identity_hash,  # type: ignore[arg-type]
                        OpenCase.employer_uscc.is_(None),  # type: ignore[union-attr]
                    )
                    .values(employer_uscc=employer_uscc)
                )
            return True
        row = session.get(OpenCase, identity_hash)
        return row is not None and row.case_id == case_id and row.separation_of(kind) == separation


def release(engine: Engine, case_id: str) -> None:
    """The case ended (or its workflow is gone): the person may open a new one."""
    with session_scope(engine) as session:
        release_in(session, case_id)


def release_in(session: Session, case_id: str) -> None:
    session.execute(delete(OpenCase).where(OpenCase.case_id == case_id))  # type: ignore[arg-type]


def keep_in(session: Session, values: dict[str, Any]) -> None:
    """Register a case's row unless the person (or the case) already has one: the sync
    activity, at a case's first record."""
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(OpenCase).values(**values).on_conflict_do_nothing())
