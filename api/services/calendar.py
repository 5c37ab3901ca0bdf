"""The holiday calendar's years, and an administrator loading one (DOMAIN.md "Stages and
deadlines"), shared by the REST routes and the admin page.

Loading a year validates the document, keeps it (table `calendar_years`, with its audit entry,
read by every API process and the worker), then signals each case whose running deadlines
were computed without that year (`ClaimWorkflow.calendar_changed`), which recomputes them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.runtime import Runtime
from api.services import ActionError
from db.calendar_years import StoredYear, cases_to_recompute, loaded_years, store_year
from db.models import CalendarYear, User
from domain.calendar import CalendarDataError, HolidayCalendar, package_years
from domain.calendar_documents import (
    DocumentFormat,
    YearSchedule,
    detect_format,
    parse_year_document,
)
from payloads.case_io import CalendarChanged
from workflows import ids
from workflows.claim import ClaimWorkflow

SIGNAL_CONCURRENCY = 32  # case signals in flight at once
log = logging.getLogger("api.calendar")


@dataclass
class YearInfo:
    """One year the calendar knows and where its schedule comes from."""

    year: int
    source: str  # package (chinese-calendar) | file (policy/holidays) | loaded (an admin)
    holiday_count: int
    workday_count: int
    version: int | None = None
    loaded_by: str | None = None
    loaded_at: datetime | None = None
    schedule: dict[str, Any] | None = None  # {year, holidays, workdays}, ISO dates

    def days(self) -> dict[str, list[dict[str, str]]]:
        table = self.schedule or {}
        return {"holidays": table.get("holidays", []), "workdays": table.get("workdays", [])}


@dataclass
class LoadedYear:
    info: YearInfo
    changed: bool  # False: this very document was loaded before
    cases_signalled: int


def _base_info(base: HolidayCalendar, year: int) -> YearInfo:
    table = YearSchedule(year, base).table()
    return YearInfo(
        year=year,
        source="package" if year in package_years() else "file",
        holiday_count=len(table["holidays"]),
        workday_count=len(table["workdays"]),
        schedule=table,
    )


def _loaded_info(row: CalendarYear) -> YearInfo:
    return YearInfo(
        year=row.year,
        source="loaded",
        holiday_count=len(row.schedule.get("holidays", [])),
        workday_count=len(row.schedule.get("workdays", [])),
        version=row.version,
        loaded_by=row.loaded_by,
        loaded_at=row.loaded_at,
        schedule=row.schedule,
    )


def list_years(session: Session, base: HolidayCalendar) -> list[YearInfo]:
    """Every known year, newest first: a loaded year replaces a year from a file."""
    years = {y: _base_info(base, y) for y in base.known_years}
    for row in loaded_years(session):
        years[row.year] = _loaded_info(row)
    return [years[y] for y in sorted(years, reverse=True)]


def year_info(session: Session, base: HolidayCalendar, year: int) -> YearInfo | None:
    row = session.get(CalendarYear, year)
    if row is not None:
        return _loaded_info(row)
    return _base_info(base, year) if base.knows(year) else None


def _refusal(err: CalendarDataError) -> ActionError:
    return ActionError(422, f"{err.key}: {err.reason}", ["body", err.key])


async def _signal_cases(client: Client, case_ids: list[str], change: CalendarChanged) -> int:
    """Tell each case; a case whose workflow has ended is skipped. The number told."""
    gate = asyncio.Semaphore(SIGNAL_CONCURRENCY)

    async def tell(case_id: str) -> int:
        async with gate:
            try:
                await client.get_workflow_handle(ids.case(case_id)).signal(
                    ClaimWorkflow.calendar_changed, change
                )
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    return 0
                raise
            return 1

    return sum(await asyncio.gather(*(tell(c) for c in case_ids)))


def _affected(engine: Engine, year: int) -> tuple[CalendarYear, list[str]]:
    with Session(engine) as session:
        row = session.get(CalendarYear, year)
        assert row is not None
        return row, cases_to_recompute(session, year)


async def load_year(
    runtime: Runtime,
    client: Client,
    user: User,
    text: str,
    *,
    fmt: DocumentFormat | None = None,
    year: int | None = None,
) -> LoadedYear:
    """Validate and keep one year's schedule, then have the affected cases recompute.
    `year`, when given (the URL's), must be the document's. Raises ActionError: 422 naming
    the entry at fault, 503 when the cases could not all be told (loading it again tells
    them again; the document is not stored twice)."""
    try:
        schedule = parse_year_document(text, fmt)
    except CalendarDataError as err:
        raise _refusal(err) from err
    if year is not None and schedule.year != year:
        msg = f"year: the document is for {schedule.year}, the address for {year}"
        raise ActionError(422, msg, ["body", "year"])
    if schedule.year in package_years():
        raise ActionError(
            422,
            f"year: {schedule.year} ships with the chinese-calendar package; "
            "only later years are loaded here",
            ["body", "year"],
        )
    stored: StoredYear = await asyncio.to_thread(
        store_year,
        runtime.engine,
        schedule,
        document=text,
        document_format=fmt or detect_format(text),
        actor=user.username,
        at=await runtime.clock.now(client),
    )
    row, case_ids = await asyncio.to_thread(_affected, runtime.engine, schedule.year)
    change = CalendarChanged(year=schedule.year, version=stored.version)
    try:
        told = await _signal_cases(client, case_ids, change)
    except RPCError as err:
        log.warning("telling the cases of %s failed: %s", schedule.year, err)
        raise ActionError(
            503,
            f"{schedule.year} is stored (version {stored.version}), but Temporal did not take "
            "every case's signal; load the same document again to tell them",
        ) from err
    return LoadedYear(_loaded_info(row), changed=stored.changed, cases_signalled=told)
