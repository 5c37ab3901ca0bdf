"""reconcile_days (activities/reconciliation.py) against the simulated bank over HTTP: several
days come in one camt.053 (a statement per day, one signature, one message ID taken as the
nonce), and each day is still matched and recorded on its own, a day with a mismatch
reported as such; a message refused for good fails each of its days (the daily workflow then
starts a workflow per day). A database of the test's own (its days are its alone)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.reconciliation import ReconciliationActivities
from bank.clock import ManualClock
from bank.config import BankConfig
from bank.testing import RunningBank, serve_bank
from core.settings import Settings
from db import audit
from db.models import BankMessageSeen, ReconciliationRecord
from domain.calendar import AGENCY_TZ
from payloads.reconciliation import ReconcileDaysInput
from tests.bank.helpers import SECRET, START
from tests.utils import template_database
from tests.utils.ledger_rows import unbooked_settlement

template_url, database_url, engine, settings = (
    template_database.template_url,
    template_database.database_url,
    template_database.engine,
    template_database.settings,
)

FIRST, ODD, LAST = date(2024, 1, 15), date(2024, 1, 16), date(2024, 1, 17)
AT = START + timedelta(days=3)  # 2024-01-18 09:00 in China: the three days are over


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[RunningBank]:
    clock = ManualClock(START)
    clock.advance(timedelta(days=3))
    config = BankConfig(db_path=tmp_path / "bank.db", webhook_secret=SECRET)
    with serve_bank(config, clock) as running:
        yield running


def _ours(settings: Settings, bank: RunningBank, secret: str) -> Settings:
    return settings.model_copy(
        update={
            "bank_url": bank.url,
            "bank_webhook_secret": secret,
            "fund_account_number": bank.config.account,
        }
    )


def _paid_on(engine: Engine, day: date) -> str:
    """A payment the ledger calls settled on `day`, which the bank never booked."""
    return unbooked_settlement(engine, day, prefix="RD", at=AT)


def _returned_on(engine: Engine, day: date) -> str:
    """A return the journal holds for 23:30 on `day` (China time), which the bank never
    booked: it belongs to that day, not the next (the journal is in UTC)."""
    e2e = "RR" + uuid.uuid4().hex[:20]
    at = datetime.combine(day, time(23, 30), tzinfo=AGENCY_TZ)
    with Session(engine) as session:
        audit.write(
            session,
            key=f"test-return-{e2e}",
            at=at,
            actor="system",
            action="payment_returned",
            entity_type="payment",
            entity_id=e2e,
            data={"end_to_end_id": e2e, "amount": "574.00", "category": "benefit"},
        )
        session.commit()
    return e2e


def _records(engine: Engine) -> dict[date, str]:
    with Session(engine) as session:
        return {r.day: r.status for r in session.exec(select(ReconciliationRecord))}


def _statements(engine: Engine) -> int:
    with Session(engine) as session:
        seen = session.exec(select(BankMessageSeen).where(BankMessageSeen.kind == "camt.053"))
        return len(seen.all())


async def test_a_range_is_one_statement_and_each_day_its_own_record(
    engine: Engine, settings: Settings, bank: RunningBank
) -> None:
    e2e = _paid_on(engine, ODD)
    back = _returned_on(engine, FIRST)
    activities = ReconciliationActivities(engine, _ours(settings, bank, SECRET))
    inp = ReconcileDaysInput(first=FIRST, last=LAST, at=AT)
    out = await ActivityEnvironment().run(activities.reconcile_days, inp)
    assert [r.day for r in out.results] == [FIRST, ODD, LAST] and out.failed == []
    assert [[m.end_to_end_id for m in r.mismatches] for r in out.results] == [[back], [e2e], []]
    assert {m.side for r in out.results for m in r.mismatches} == {"ledger_only"}
    assert _records(engine) == {FIRST: "mismatched", ODD: "mismatched", LAST: "reconciled"}
    assert _statements(engine) == 1  # one message, one nonce, for the three days
    # the same days one by one (each its own statement): the same answers
    for r in out.results:
        one = ReconcileDaysInput(first=r.day, last=r.day, at=AT)
        assert (await ActivityEnvironment().run(activities.reconcile_days, one)).results == [r]
    assert _statements(engine) == 4  # one for the range, then one for each day
    again = await ActivityEnvironment().run(activities.reconcile_days, inp)  # a retry
    assert again.results == out.results
    assert _records(engine) == {FIRST: "mismatched", ODD: "mismatched", LAST: "reconciled"}
    assert _statements(engine) == 5  # a fresh message from the bank, not a replay


async def test_a_range_refused_for_good_fails_each_of_its_days(
    engine: Engine, settings: Settings, bank: RunningBank
) -> None:
    """Signed with another secret: not the bank's; nothing matched, nothing recorded, each
    day reported failed (the daily workflow starts a workflow for each)."""
    activities = ReconciliationActivities(engine, _ours(settings, bank, "not-the-banks-secret"))
    inp = ReconcileDaysInput(first=FIRST, last=LAST, at=AT)
    out = await ActivityEnvironment().run(activities.reconcile_days, inp)
    assert out.results == [] and out.failed == [FIRST, ODD, LAST]
    assert _records(engine) == {} and _statements(engine) == 0


async def test_a_range_not_over_at_the_bank_is_retried(
    engine: Engine, settings: Settings, bank: RunningBank
) -> None:
    """The bank's last day has not begun: 404, an ordinary (retried) error, nothing kept."""
    activities = ReconciliationActivities(engine, _ours(settings, bank, SECRET))
    inp = ReconcileDaysInput(first=FIRST, last=LAST + timedelta(days=2), at=AT)
    with pytest.raises(RuntimeError, match="bank answered 404"):
        await ActivityEnvironment().run(activities.reconcile_days, inp)
    assert _records(engine) == {} and _statements(engine) == 0
