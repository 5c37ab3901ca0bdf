"""db/open_cases.py: the register's primary key on the identity hash holds under a race, and
noting a submission is a compare-and-set (issue 9 §4)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from db import open_cases

SEP = date(2026, 11, 20)
AT = datetime(2026, 11, 30, tzinfo=UTC)


def _ids() -> tuple[str, str, str]:
    return uuid.uuid4().hex, uuid.uuid4().hex[:20], uuid.uuid4().hex[:20]


def test_of_many_claims_at_once_for_one_person_one_wins(engine: Engine) -> None:
    person = uuid.uuid4().hex
    cases = [uuid.uuid4().hex[:20] for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        won = list(
            pool.map(
                lambda c: open_cases.claim(engine, person, c, "registration", SEP, None, AT),
                cases,
            )
        )
    assert won.count(True) == 1
    row = open_cases.find(engine, person)
    assert row is not None and row.case_id == cases[won.index(True)]


def test_noting_a_submission_fills_an_empty_slot_once(engine: Engine) -> None:
    person, case_id, _ = _ids()
    assert open_cases.claim(engine, person, case_id, "employer_report", SEP, "U1", AT)
    assert open_cases.record(engine, person, case_id, "registration", SEP, None)
    assert open_cases.record(engine, person, case_id, "registration", SEP, None)  # a repeat
    later = date(2026, 11, 21)
    assert not open_cases.record(engine, person, case_id, "registration", later, None)
    assert not open_cases.record(engine, person, "another", "employer_report", SEP, None)
    row = open_cases.find(engine, person)
    assert row is not None and row.registration_separation == SEP and row.employer_uscc == "U1"
    open_cases.release(engine, case_id)
    assert open_cases.find(engine, person) is None


def test_the_sync_registers_a_case_but_never_over_another(engine: Engine) -> None:
    person, first, second = _ids()
    values = {"identity_hash": person, "case_id": first, "registration_separation": SEP}
    with Session(engine) as session, session.begin():
        open_cases.keep_in(session, values)
        open_cases.keep_in(session, values)  # idempotent
        open_cases.keep_in(session, {**values, "case_id": second})  # the person has one
    row = open_cases.find(engine, person)
    assert row is not None and row.case_id == first
