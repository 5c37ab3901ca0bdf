"""What the bank does: accept pain.001, settle on its clock, report pain.002, state camt.053."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from stdnum import luhn

from bank.clock import BankClock
from bank.config import BankConfig
from bank.store import BANK_TZ, BankStore, Message, from_fen
from iso20022 import (
    Statement,
    StatementEntry,
    StatusReport,
    TransactionStatus,
    build_camt053_days,
    build_pain002,
    parse_pain001,
)

log = logging.getLogger("bank")

CLOSED, BLOCKED, INVALID = "AC04", "AC06", "AC01"  # ISO 20022 external status reason codes
MAX_STATEMENT_DAYS = 92  # the longest range of days one camt.053 answers


@dataclass
class Mode:
    """Test modes, changed at run time through POST /admin/mode."""

    slow_ms: int = 0  # every non-admin answer waits this long
    down: bool = False  # every non-admin call answers 503; nothing settles or is sent
    hold: bool = False  # calls are answered, but nothing settles and no webhook is sent
    answer_twice: bool = False  # every webhook is sent twice
    closed_accounts: set[str] = field(default_factory=set)  # returned with AC04
    blocked_accounts: set[str] = field(default_factory=set)  # returned with AC06
    refuse: str = ""  # set: every pain.001 is refused (400) with this reason

    def public(self) -> dict[str, object]:
        data = asdict(self)
        data["closed_accounts"] = sorted(self.closed_accounts)
        data["blocked_accounts"] = sorted(self.blocked_accounts)
        return data


class ClockUnavailable(Exception):
    """The bank's clock (the Temporal test server in simulated mode) did not answer."""


class StatementNotReady(Exception):
    """A statement for a day that has not begun on the bank's clock."""


class BadRange(Exception):
    """A range of statement days that is empty or longer than MAX_STATEMENT_DAYS."""


@dataclass
class Duplicate(Exception):
    """A pain.001 whose message ID was accepted before; nothing new is stored."""

    original: Message
    same_content: bool
    acceptance: bytes


def outcome(account: str, mode: Mode) -> tuple[str, str | None]:
    """How a due transaction ends: settled (ACSC), or returned (RJCT) with a reason."""
    if account in mode.closed_accounts:
        return "RJCT", CLOSED
    if account in mode.blocked_accounts:
        return "RJCT", BLOCKED
    if not account.isdigit() or not luhn.is_valid(account):
        return "RJCT", INVALID
    return "ACSC", None


def acceptance_id(msg_id: str) -> str:
    """The acceptance report's message ID: the same every time it is shown."""
    return "ACK" + hashlib.sha256(msg_id.encode()).hexdigest()[:32]


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


class Bank:
    def __init__(self, config: BankConfig, clock: BankClock, store: BankStore) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.mode = Mode(
            closed_accounts=set(config.closed_accounts),
            blocked_accounts=set(config.blocked_accounts),
        )

    async def now(self) -> datetime:
        try:
            return await self.clock.now()
        except Exception as exc:
            raise ClockUnavailable(f"bank clock {self.config.clock!r}: {exc}") from exc

    async def accept(self, body: bytes) -> bytes:
        """Validate and store a pain.001; the acceptance pain.002 (ACCP, or RJCT DU05 per
        transaction). MessageError when invalid, Duplicate for a known message ID."""
        run = await asyncio.to_thread(parse_pain001, body)
        now = await self.now()
        due = now + timedelta(hours=self.config.settle_hours)
        digest = hashlib.sha256(body).hexdigest()
        stored = await asyncio.to_thread(self.store.accept, run, digest, now, due)
        acceptance = await asyncio.to_thread(self.acceptance, run.msg_id)
        if not stored:
            original = self.store.message(run.msg_id)
            assert original is not None
            raise Duplicate(original, original.content_sha256 == digest, acceptance)
        log.info("accepted %s: %d transactions, due %s", run.msg_id, len(run.transfers), due)
        return acceptance

    def acceptance(self, msg_id: str) -> bytes:
        """The pain.002 answered on acceptance, byte for byte."""
        message = self.store.message(msg_id)
        assert message is not None
        report = StatusReport(
            msg_id=acceptance_id(msg_id),
            created_at=message.accepted_at,
            original_msg_id=msg_id,
            statuses=self.store.statuses(msg_id, at_acceptance=True),
        )
        return build_pain002(report)

    async def settle(self) -> int:
        """Settle or return what is due on the bank's clock; queue the status webhooks."""
        if self.mode.hold:
            return 0
        now = await self.now()

        def report(original: str, statuses: list[TransactionStatus]) -> tuple[str, bytes]:
            msg_id = new_id("STL")
            body = build_pain002(StatusReport(msg_id, now, original, statuses))
            return msg_id, body

        mode = self.mode
        done = await asyncio.to_thread(
            self.store.settle_due,
            now,
            lambda account: outcome(account, mode),
            report,
            self.config.webhook_batch,
        )
        if done:
            log.info("settled %d transactions due by %s", done, now.isoformat())
        return done

    async def status(self, msg_id: str) -> bytes | None:
        """The current pain.002 of a message (the polling fallback), None when unknown."""
        if self.store.message(msg_id) is None:
            return None
        await self.settle()
        now = await self.now()
        statuses = await asyncio.to_thread(self.store.statuses, msg_id)
        report = StatusReport(new_id("STS"), now, msg_id, statuses)
        return await asyncio.to_thread(build_pain002, report)

    async def statement(self, day: date, account: str | None = None) -> bytes:
        """The camt.053 of `account` for booking date `day` (today's so far, if today)."""
        return await self.statements(day, day, account)

    async def statements(self, first: date, last: date, account: str | None = None) -> bytes:
        """One camt.053 of `account` for the booking dates `first`..`last`: a statement per
        day (as each day's own would be) under one message ID; one day: that day's own."""
        account = account or self.config.account
        if last < first or (last - first).days >= MAX_STATEMENT_DAYS:
            raise BadRange(f"{first}..{last}: from 1 to {MAX_STATEMENT_DAYS} days, in order")
        await self.settle()
        now = await self.now()
        if last > now.astimezone(BANK_TZ).date():
            raise StatementNotReady(f"no statement for {last}: the bank's date is {now.date()}")
        msg_id = new_id("STM")
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        statements = await asyncio.to_thread(
            lambda: [self._statement(account, day, msg_id, now) for day in days]
        )
        return await asyncio.to_thread(build_camt053_days, statements)

    def _statement(self, account: str, day: date, msg_id: str, now: datetime) -> Statement:
        rows = self.store.booked(account, day)
        paid = self.store.paid_before(account, day)
        entries: list[StatementEntry] = []
        for row in rows:
            amount = from_fen(row["amount_fen"])
            entries.append(StatementEntry(row["end_to_end_id"], amount, "DBIT", day))
            if row["status"] == "RJCT":  # returned: the debit comes back as a reversal
                entries.append(
                    StatementEntry(row["end_to_end_id"], amount, "CRDT", day, "BOOK", row["reason"])
                )
        opening = self.config.opening_balance - from_fen(paid)
        closing = opening + sum((e.signed for e in entries), Decimal("0.00"))
        return Statement(
            msg_id=msg_id,
            statement_id=f"{account[-24:]}-{day:%Y%m%d}",
            created_at=now,
            account=account,
            statement_date=day,
            opening_balance=opening,
            closing_balance=closing,
            entries=entries,
        )

    async def settle_forever(self) -> None:
        """The settlement loop: every tick (real time), settle what the clock says is due."""
        failing = False
        while True:
            try:
                if not self.mode.down:
                    await self.settle()
                failing = False
            except Exception as exc:
                if not failing:  # say it once, not every tick
                    log.warning("settlement pass failed: %s", exc)
                failing = True
            await asyncio.sleep(self.config.tick_seconds)
