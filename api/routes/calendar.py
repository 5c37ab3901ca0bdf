"""The holiday calendar: the years it knows, and an administrator loading a new one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel

from api.deps import (
    NOT_FOUND,
    STAFF,
    CurrentUser,
    RuntimeDep,
    SessionDep,
    TemporalClientDep,
    require_roles,
)
from api.errors import field_error
from api.services import ActionError
from api.services import calendar as service
from db.models import User
from domain.calendar_documents import MAX_DOCUMENT_BYTES, DocumentFormat

router = APIRouter(prefix="/calendar", tags=["calendar"], responses=STAFF)
AdminUser = Annotated[User, Depends(require_roles("admin"))]
YearParam = Annotated[int, Path(ge=1900, le=2999, description="e.g. 2027")]


class CalendarYearOut(BaseModel):
    year: int
    source: Literal["package", "file", "loaded"]
    holiday_count: int
    workday_count: int
    version: int | None = None
    loaded_by: str | None = None
    loaded_at: dt.datetime | None = None


class CalendarDay(BaseModel):
    date: dt.date
    name: str


class CalendarYearDetail(CalendarYearOut):
    holidays: list[CalendarDay]
    workdays: list[CalendarDay]


class CalendarYearLoaded(CalendarYearDetail):
    changed: bool  # false: this very document had been loaded before
    cases_signalled: int  # running cases told to recompute their provisional deadlines


def _out(info: service.YearInfo) -> dict[str, object]:
    return {
        "year": info.year,
        "source": info.source,
        "holiday_count": info.holiday_count,
        "workday_count": info.workday_count,
        "version": info.version,
        "loaded_by": info.loaded_by,
        "loaded_at": info.loaded_at,
    }


@router.get("/years", response_model=list[CalendarYearOut])
def list_years(session: SessionDep, runtime: RuntimeDep, user: CurrentUser) -> list[dict]:
    """Every year the holiday calendar knows, newest first, with its source."""
    return [_out(i) for i in service.list_years(session, runtime.book.calendar)]


@router.get("/years/{year}", response_model=CalendarYearDetail, responses=NOT_FOUND)
def get_year(year: YearParam, session: SessionDep, runtime: RuntimeDep, user: CurrentUser) -> dict:
    """One known year: its days off and adjusted working days."""
    info = service.year_info(session, runtime.book.calendar, year)
    if info is None:
        raise HTTPException(404, f"the calendar does not know {year}")
    return {**_out(info), **info.days()}


def _format(content_type: str) -> DocumentFormat | None:
    if "json" in content_type:
        return "json"
    if "toml" in content_type:
        return "toml"
    return None  # text/plain or none: told by the text itself


_DOCUMENT_BODY = {
    "required": True,
    "description": "The year's schedule as TOML (as in policy/holidays/) or JSON: "
    "`year`, `holidays` [{date, name}], `workdays` [{date, name}]",
    "content": {
        "application/toml": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object"}},
    },
}


@router.put(
    "/years/{year}",
    response_model=CalendarYearLoaded,
    openapi_extra={"requestBody": _DOCUMENT_BODY},
)
async def load_year(
    year: YearParam,
    request: Request,
    user: AdminUser,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> dict:
    """Admins: load a year's official schedule; provisional deadlines in it recompute."""
    raw = await request.body()
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise field_error(["body"], f"larger than {MAX_DOCUMENT_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise field_error(["body"], "not UTF-8 text") from err
    fmt = _format(request.headers.get("content-type", ""))
    try:
        loaded = await service.load_year(runtime, client, user, text, fmt=fmt, year=year)
    except ActionError as err:
        if err.loc:
            raise field_error(err.loc, err.message) from err
        raise HTTPException(err.status, err.message) from err
    return {
        **_out(loaded.info),
        **loaded.info.days(),
        "changed": loaded.changed,
        "cases_signalled": loaded.cases_signalled,
    }
