"""Reconciliation activity: fetch the bank's camt.053 for a day and match it to the ledger;
for several days at once (a simulated stack's quiet days), one camt.053 of them all."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import bank_answers as answers
from core.settings import Settings
from db import payments, reconciliations
from db.engine import session_scope
from db.models import Payment, ReconciliationRecord
from domain.calendar import AGENCY_TZ
from domain.reconciliation import BankEntry, LedgerItem, reconcile
from iso20022.camt053 import Statement, parse_camt053, parse_camt053_days
from iso20022.errors import MessageError
from payloads.reconciliation import (
    Mismatch,
    ReconcileDaysInput,
    ReconcileDaysResult,
    ReconcileInput,
    ReconcileResult,
)


def _beat(what: str) -> None:
    """Heartbeat only when the caller asked for heartbeats (a day's own workflow does; the
    daily run does not): a heartbeat nobody times is a call to the server every simulated day
    for nothing (8% of the worker's CPU on an idle simulated stack)."""
    if activity.info().heartbeat_timeout:
        activity.heartbeat(what)


class ReconciliationActivities:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    @activity.defn
    async def reconcile_day(self, inp: ReconcileInput) -> ReconcileResult:
        """Match the day's statement against the ledger and keep the result (idempotent).
        The statement is the bank's signed camt.053, fresh, its message ID never seen."""
        return await self._day(inp)

    @activity.defn
    async def reconcile_days(self, inp: ReconcileDaysInput) -> ReconcileDaysResult:
        """Each day of `first`..`last` as `reconcile_day` would (each its statement and its
        record), in one activity for the days the daily reconciliation matches together
        (workflows/reconciliation.py); a day refused for good (a bad signature, a malformed
        statement) is reported in `failed`, anything else is retried (idempotent). Then
        whether payments are at the bank (sent, neither settled nor returned yet).
        Several days come in one camt.053 (a statement per day, one signature, one message
        ID as the nonce), so a message refused for good fails each of its days (each gets
        its own workflow, which asks for its day alone); one day asks for its own."""
        out = ReconcileDaysResult()
        if inp.last > inp.first:
            try:
                out.results = await self._days(inp)
            except ApplicationError as err:
                if not err.non_retryable:
                    raise
                out.failed = [
                    inp.first + timedelta(days=n) for n in range((inp.last - inp.first).days + 1)
                ]
            out.in_flight = await asyncio.to_thread(self._in_flight)
            return out
        day = inp.first
        while day <= inp.last:
            try:
                out.results.append(await self._day(ReconcileInput(day=day, at=inp.at)))
            except ApplicationError as err:
                if not err.non_retryable:
                    raise
                out.failed.append(day)
            day += timedelta(days=1)
        out.in_flight = await asyncio.to_thread(self._in_flight)
        return out

    def _in_flight(self) -> bool:
        with Session(self.engine) as session:
            return payments.any_at_bank(session)

    async def _day(self, inp: ReconcileInput) -> ReconcileResult:
        _beat("asking the bank")
        status, body, headers = await answers.get(
            self.settings,
            f"/statements/{inp.day.isoformat()}",
            account=self.settings.fund_account_number,
        )
        if not 200 <= status < 300:  # 404: the bank's day is not over yet; retried
            raise RuntimeError(f"bank answered {status}: {body[:300]!r}")
        await answers.verify(self.settings, body, headers, inp.at)  # before it is parsed
        try:
            statement = await asyncio.to_thread(parse_camt053, body)
        except MessageError as err:
            raise answers.unverified(f"malformed camt.053: {err}") from None
        await asyncio.to_thread(
            answers.take_nonce, self.engine, statement.msg_id, "camt.053", inp.at
        )
        _beat("matching")
        return await asyncio.to_thread(self._match, inp, statement)

    async def _days(self, inp: ReconcileDaysInput) -> list[ReconcileResult]:
        """The days `first`..`last` from one camt.053: checked once, then each day matched
        and recorded as `_day` does."""
        first, last = inp.first.isoformat(), inp.last.isoformat()
        status, body, headers = await answers.get(
            self.settings, f"/statements/{first}/{last}", account=self.settings.fund_account_number
        )
        if not 200 <= status < 300:  # 404: the bank's last day is not over yet; retried
            raise RuntimeError(f"bank answered {status}: {body[:300]!r}")
        await answers.verify(self.settings, body, headers, inp.at)  # before it is parsed
        try:
            statements = await asyncio.to_thread(parse_camt053_days, body, inp.first, inp.last)
        except MessageError as err:
            raise answers.unverified(f"malformed camt.053: {err}") from None
        await asyncio.to_thread(
            answers.take_nonce, self.engine, statements[0].msg_id, "camt.053", inp.at
        )
        return await asyncio.to_thread(self._match_days, statements, inp.at)

    def _match(self, inp: ReconcileInput, statement: Statement) -> ReconcileResult:
        out = _result(inp.day, self._ledger(inp.day), statement)
        with session_scope(self.engine) as session:
            row = reconciliations.find_day(session, day=inp.day)
            session.add(_record(row, out, inp.at))
        return out

    def _match_days(self, statements: list[Statement], at: datetime) -> list[ReconcileResult]:
        """Each day's statement matched as `_match` does, the ledger of all the days read
        and their records written at once (a quiet week: a few statements, not a few a day)."""
        first, last = statements[0].statement_date, statements[-1].statement_date
        start = datetime.combine(first, time(0), tzinfo=AGENCY_TZ)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=AGENCY_TZ)
        ledger: dict[date, list[LedgerItem]] = {s.statement_date: [] for s in statements}
        with session_scope(self.engine) as session:
            for p in payments.settled_between(session, first=first, last=last):
                if p.settled_on is not None:
                    ledger[p.settled_on].append(_settled(p))
            for a in payments.returns_journaled(session, start=start, end=end):
                if a.at is not None:
                    ledger[a.at.astimezone(AGENCY_TZ).date()].append(_returned(a.data))
            rows = reconciliations.days_between(session, first=first, last=last)
            results = []
            for statement in statements:
                day = statement.statement_date
                out = _result(day, ledger[day], statement)
                session.add(_record(rows.get(day), out, at))
                results.append(out)
        return results

    def _ledger(self, day: date) -> list[LedgerItem]:
        """Settled payments by their settlement day; returns from the journal (the audit
        entry keeps the returned transaction even after it is re-issued under a new ID)."""
        start = datetime.combine(day, time(0), tzinfo=AGENCY_TZ)
        with Session(self.engine) as session:
            settled = payments.settled_on(session, day=day)
            returns = payments.returns_journaled(
                session, start=start, end=start + timedelta(days=1)
            )
        return [_settled(p) for p in settled] + [_returned(a.data) for a in returns]


def _settled(p: Payment) -> LedgerItem:
    return LedgerItem(p.end_to_end_id, p.amount, "settled", p.category)


def _returned(d: dict[str, Any]) -> LedgerItem:
    return LedgerItem(d["end_to_end_id"], Decimal(d["amount"]), "returned", d["category"])


def _result(day: date, ledger: list[LedgerItem], statement: Statement) -> ReconcileResult:
    bank = [
        BankEntry(e.end_to_end_id, e.amount, e.credit_debit, e.booking_date)
        for e in statement.entries
    ]
    result = reconcile(day, ledger, bank)
    return ReconcileResult(
        day=day,
        matched=result.matched,
        paid_by_category={k: f"{v:.2f}" for k, v in result.paid_by_category.items()},
        mismatches=[
            Mismatch(end_to_end_id=m.end_to_end_id, side=m.side, detail=m.detail)
            for m in result.mismatches
        ],
    )


def _record(
    row: ReconciliationRecord | None, out: ReconcileResult, at: datetime
) -> ReconciliationRecord:
    """The day's record (made, or the one there is updated) as `out` says."""
    row = row or ReconciliationRecord(day=out.day, status="")
    row.status = "mismatched" if out.mismatches else "reconciled"
    row.matched = out.matched
    row.mismatches = [m.as_record() for m in out.mismatches]
    row.paid_by_category, row.at = out.paid_by_category, at
    return row
