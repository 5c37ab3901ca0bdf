"""Loaded holiday years are kept in the database and every process reads them: the live
calendar of another process (a second LiveCalendar on the same database) sees a year the
moment it is stored, without a restart (DOMAIN.md "Stages and deadlines"). Made-up years."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from db.calendar_years import LiveCalendar, cases_to_recompute, store_year
from db.models import AuditEntry, CalendarYear, CaseRecord
from domain.calendar import default_calendar
from domain.calendar_documents import parse_year_document
from tests.utils.calendar_years import fixture_days, fixture_toml, no_loaded_years

AT = datetime(2026, 11, 30, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean(engine: Engine) -> Iterator[None]:
    with no_loaded_years(engine):
        yield


def _load(engine: Engine, text: str, actor: str = "admin"):
    return store_year(
        engine, parse_year_document(text), document=text, document_format="toml", actor=actor, at=AT
    )


def test_a_stored_year_reaches_every_live_calendar_without_a_restart(engine: Engine) -> None:
    """DOMAIN.md Stages and deadlines: a loaded year takes effect in the API and the worker."""
    base = default_calendar()
    api_side, worker_side = LiveCalendar(engine), LiveCalendar(engine)
    assert not worker_side.current(base).knows(2041)
    first = _load(engine, fixture_toml(2041, fixture_days(date(2041, 5, 1), 3)))
    assert first.changed and first.version >= 1
    cal = worker_side.current(base)
    assert cal.knows(2041) and not cal.is_working_day(date(2041, 5, 2))
    assert cal.knows(2024) and not cal.is_working_day(date(2024, 10, 1))  # package kept
    assert api_side.current(base).knows(2041)
    # a corrected document for the same year replaces it, with a higher version
    second = _load(engine, fixture_toml(2041, fixture_days(date(2041, 5, 3), 2)))
    assert second.changed and second.version > first.version
    cal = worker_side.current(base)
    assert cal.is_working_day(date(2041, 5, 1)) and not cal.is_working_day(date(2041, 5, 4))
    assert worker_side.current(base) is cal  # nothing changed: not read again


def test_the_same_document_again_stores_nothing_and_each_load_is_audited(engine: Engine) -> None:
    """Loading is audited (who, when, which version); a repeat of the same text is a no-op."""
    text = fixture_toml(2042, fixture_days(date(2042, 1, 1), 2))
    first = _load(engine, text)
    again = _load(engine, text, actor="someone-else")
    assert not again.changed and again.version == first.version
    with Session(engine) as session:
        row = session.get(CalendarYear, 2042)
        assert row is not None and row.loaded_by == "admin" and row.document == text
        assert row.schedule["holidays"][0]["date"] == "2042-01-01"
        audit = session.exec(
            select(AuditEntry).where(
                AuditEntry.entity_type == "calendar_year", AuditEntry.entity_id == "2042"
            )
        ).all()
    assert [(a.entity_id, a.action, a.actor, a.data["version"]) for a in audit] == [
        ("2042", "calendar_year_loaded", "admin", first.version)
    ]


def test_cases_to_recompute_are_those_with_a_running_deadline_in_the_year(engine: Engine) -> None:
    with Session(engine) as session:
        for case_id, years in (
            ("cy-a", "2043"),
            ("cy-b", "2043 2044"),
            ("cy-c", "2044"),
            ("cy-d", None),
        ):
            session.merge(
                CaseRecord(
                    case_id=case_id,
                    region_code="220100",
                    status="awaiting_registration",
                    stage="intake",
                    provisional_years=years,
                    opened_at=AT,
                    updated_at=AT,
                )
            )
        session.commit()
        assert cases_to_recompute(session, 2043) == ["cy-a", "cy-b"]
        assert cases_to_recompute(session, 2044) == ["cy-b", "cy-c"]
        assert cases_to_recompute(session, 2045) == []
        for case_id in ("cy-a", "cy-b", "cy-c", "cy-d"):
            session.delete(session.get(CaseRecord, case_id))
        session.commit()
