"""Migration 0010 fills the register of open cases from the cases still open: one row per
person (the earliest opened case when a person had two from before), none for ended cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlmodel import Session

from db.engine import make_engine
from db.models import CaseRecord
from tests.conftest import ROOT
from tests.utils import own_database

database_url = own_database.database_url
SEP = date(2026, 11, 20)


def _cfg(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def test_the_register_is_filled_from_the_open_cases(database_url: str) -> None:
    cfg = _cfg(database_url)
    command.upgrade(cfg, "0009")
    engine = make_engine(database_url)
    rows = [
        # case, person, status, stage, report received, registered, opened day
        ("early", "p1", "in_review", "review", SEP, SEP, 1),
        ("later", "p1", "awaiting_employer_report", "intake", None, SEP, 2),
        ("solo", "p2", "awaiting_registration", "intake", SEP, None, 3),
        ("done", "p3", "rejected", "closed", SEP, SEP, 4),
        ("nobody", None, "awaiting_registration", "intake", SEP, None, 5),
    ]
    with Session(engine) as session, session.begin():
        for case_id, person, status, stage, report, registered, day in rows:
            session.add(
                CaseRecord(
                    case_id=case_id,
                    region_code="220100",
                    status=status,
                    stage=stage,
                    national_id_hash=person,
                    separation_date=SEP,
                    employer_report_received=report,
                    registration_date=registered,
                    employer_uscc="91110000600037341L" if report else None,
                    opened_at=datetime(2026, 11, day, tzinfo=UTC),
                    updated_at=datetime(2026, 11, day, tzinfo=UTC),
                )
            )
    command.upgrade(cfg, "0010")
    with engine.connect() as conn:
        got = conn.execute(
            text(
                "SELECT identity_hash, case_id, report_separation, registration_separation,"
                " employer_uscc FROM open_cases ORDER BY identity_hash"
            )
        ).all()
    engine.dispose()
    as_dates = [
        (
            p,
            c,
            r if r is None else date.fromisoformat(str(r)),
            g if g is None else date.fromisoformat(str(g)),
            u,
        )
        for p, c, r, g, u in got
    ]
    assert as_dates == [
        ("p1", "early", SEP, SEP, "91110000600037341L"),
        ("p2", "solo", SEP, None, "91110000600037341L"),
    ]
    command.downgrade(cfg, "0009")
