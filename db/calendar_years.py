"""Holiday years loaded by an administrator (table `calendar_years`), and the live calendar
every process reads: the package's and policy/holidays' years with the loaded ones laid over
them, re-read whenever the table's version moves (DOMAIN.md "Stages and deadlines")."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db import audit
from db.engine import session_scope
from db.models import CalendarYear, CaseRecord
from domain.calendar import CalendarDataError, HolidayCalendar
from domain.calendar_documents import YearSchedule, schedule_from_table

log = logging.getLogger("calendar")
STORE_ATTEMPTS = 5  # concurrent loads on PostgreSQL may both take the next version


@dataclass(frozen=True)
class StoredYear:
    year: int
    version: int
    changed: bool  # False: the same document was loaded before (nothing stored anew)


def _store_once(
    engine: Engine,
    schedule: YearSchedule,
    document: str,
    document_format: str,
    actor: str,
    at: datetime,
) -> StoredYear:
    digest = hashlib.sha256(document.encode()).hexdigest()
    with session_scope(engine) as session:
        row = session.get(CalendarYear, schedule.year)
        if row is not None and row.sha256 == digest:
            return StoredYear(schedule.year, row.version, changed=False)
        version = (session.exec(select(func.max(CalendarYear.version))).one() or 0) + 1
        previous = row.version if row is not None else None
        fields: dict[str, Any] = {
            "version": version,
            "schedule": schedule.table(),
            "document": document,
            "document_format": document_format,
            "sha256": digest,
            "loaded_by": actor,
            "loaded_at": at,
        }
        if row is None:
            row = CalendarYear(year=schedule.year, **fields)
        else:
            row.sqlmodel_update(fields)
        session.add(row)
        audit.write(
            session,
            key=f"calendar_year:{schedule.year}:v{version}",
            at=at,
            actor=actor,
            action="calendar_year_loaded",
            entity_type="calendar_year",
            entity_id=str(schedule.year),
            data={
                "version": version,
                "replaces_version": previous,
                "holidays": len(row.schedule["holidays"]),
                "workdays": len(row.schedule["workdays"]),
                "sha256": digest,
            },
            once=True,
        )
        return StoredYear(schedule.year, version, changed=True)


def store_year(
    engine: Engine,
    schedule: YearSchedule,
    *,
    document: str,
    document_format: str,
    actor: str,
    at: datetime,
) -> StoredYear:
    """Keep a validated year (replacing an earlier load of it) with its audit entry, in one
    transaction. The same document again changes nothing."""
    for attempt in range(STORE_ATTEMPTS):
        try:
            return _store_once(engine, schedule, document, document_format, actor, at)
        except IntegrityError:  # another load took this version (or year) at the same moment
            if attempt == STORE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def loaded_years(session: Session) -> list[CalendarYear]:
    return list(session.exec(select(CalendarYear).order_by(col(CalendarYear.year))).all())


def cases_to_recompute(session: Session, year: int) -> list[str]:
    """The cases whose running deadlines were computed without `year` (read model)."""
    stmt = select(CaseRecord.case_id).where(
        col(CaseRecord.provisional_years).is_not(None),
        col(CaseRecord.provisional_years).contains(str(year)),
    )
    return list(session.exec(stmt.order_by(col(CaseRecord.case_id))).all())


class LiveCalendar:
    """The calendar of this moment: ``base`` with every loaded year laid over it. One small
    query per call (the table's highest version); the years are read again only when it
    moved, so a year loaded through any API process takes effect here without a restart."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._base: HolidayCalendar | None = None
        self._version = -1
        self._calendar: HolidayCalendar | None = None

    def version(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.max(CalendarYear.version))).one() or 0

    def current(self, base: HolidayCalendar) -> HolidayCalendar:
        version = self.version()
        with self._lock:
            if self._calendar is None or self._base is not base or self._version != version:
                with Session(self.engine) as session:
                    rows = loaded_years(session)
                calendar = base
                for row in rows:
                    try:
                        calendar = calendar.merged(schedule_from_table(row.schedule).calendar)
                    except CalendarDataError as err:  # validated when stored: not expected
                        log.error("loaded year %s is unreadable, left out: %s", row.year, err)
                self._calendar, self._base, self._version = calendar, base, version
            return self._calendar
