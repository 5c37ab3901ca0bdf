"""What the agency does: take a declaration batch once, decide each line against its register
(at once, or late on its clock), answer on request and by a signed webhook."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bank.clock import BankClock
from domain.identifiers import InvalidIdentifier, validate_national_id
from medagency import register
from medagency.config import AgencyConfig
from medagency.protocol import Answer, Declaration, LineResult, Processing
from medagency.store import AgencyStore, Batch

log = logging.getLogger("medagency")

INVALID_ID = "身份证号码有误 / the identity number is not valid"
NOT_MATCHED = "参保信息核对不符 / the person's data does not match the register"
ALREADY_ENROLLED = "已参保 / the person is enrolled already"
NOT_ENROLLED = "未参保 / the person is not enrolled"
MONTH_PAID = "该月已缴费 / the premium for this month is paid already"


@dataclass
class Mode:
    """Test modes, changed at run time through POST /admin/mode."""

    slow_ms: int = 0  # every non-admin answer waits this long
    down: bool = False  # every non-admin call answers 503; nothing is decided or sent
    late_hours: float = 0.0  # answers are ready this long after receipt (agency clock)
    reject_persons: set[str] = field(default_factory=set)  # their lines are rejected
    duplicates: set[tuple[str, str]] = field(default_factory=set)  # (person_ref, YYYY-MM)

    def public(self) -> dict[str, object]:
        return {
            "slow_ms": self.slow_ms,
            "down": self.down,
            "late_hours": self.late_hours,
            "reject_persons": sorted(self.reject_persons),
            "duplicates": [{"person_ref": p, "month": m} for p, m in sorted(self.duplicates)],
        }


class ClockUnavailable(Exception):
    """The agency's clock (the Temporal test server in simulated mode) did not answer."""


@dataclass
class Conflict(Exception):
    """A known batch key sent with other content: refused, nothing changes."""

    batch: Batch


class Agency:
    def __init__(self, config: AgencyConfig, clock: BankClock, store: AgencyStore) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.mode = Mode(late_hours=config.answer_hours)
        self.answers_queued = asyncio.Event()  # wakes the webhook loop (medagency/webhooks.py)
        self._next_due: datetime | None = None  # the earliest unanswered batch's due time
        self._due_known = False  # read again from the store after a receipt or an answer

    async def now(self) -> datetime:
        try:
            return await self.clock.now()
        except Exception as exc:
            raise ClockUnavailable(f"agency clock {self.config.clock!r}: {exc}") from exc

    async def declare(self, decl: Declaration) -> Answer | Processing:
        """Take a batch once: a new key is stored (and decided now unless answers are late);
        a known key with the same content is answered as it stands; other content: Conflict."""
        digest = hashlib.sha256(decl.model_dump_json().encode()).hexdigest()
        now = await self.now()
        due = now + timedelta(hours=self.mode.late_hours)
        known = await asyncio.to_thread(self.store.receive, decl, digest, now, due)
        self._due_known = False
        if known is not None and known.content_sha256 != digest:
            raise Conflict(known)
        if known is None:
            log.info("batch %s: %d lines received", decl.batch_key, len(decl.lines))
            if due <= now:
                await self._answer(decl.batch_key, now)
        answer = await self.answer_of(decl.batch_key)
        assert answer is not None
        return answer

    async def answer_of(self, batch_key: str) -> Answer | Processing | None:
        """The batch's answer, or that it is still being processed; None when unknown."""
        batch = await asyncio.to_thread(self.store.batch, batch_key)
        if batch is None:
            return None
        if batch.status == "received":
            now = await self.now()
            if now < batch.due_at or self.mode.down:
                return Processing(batch_key=batch_key, received_at=batch.received_at)
            await self._answer(batch_key, now)
            return await self.answer_of(batch_key)
        assert batch.answered_at is not None
        return Answer(
            batch_key=batch_key,
            region_code=batch.region_code,
            month=batch.month,
            answered_at=batch.answered_at,
            lines=await asyncio.to_thread(self.store.results, batch_key),
        )

    async def process_due(self) -> int:
        """Answer every batch whose time has come (the late ones: their webhooks queue)."""
        now = await self.now()
        due = await asyncio.to_thread(self.store.due_batches, now)
        for key in due:
            await self._answer(key, now)
        return len(due)

    async def _answer(self, batch_key: str, now: datetime) -> None:
        batch = await asyncio.to_thread(self.store.batch, batch_key)
        assert batch is not None
        mode = self.mode

        def decide(line: sqlite3.Row, db: sqlite3.Connection) -> LineResult:
            return self._decide(line, db, batch.region_code, mode)

        def webhook(results: list[LineResult]) -> bytes:
            answer = Answer(
                batch_key=batch_key,
                region_code=batch.region_code,
                month=batch.month,
                answered_at=now,
                lines=results,
            )
            return answer.model_dump_json().encode()

        if await asyncio.to_thread(self.store.answer_batch, batch_key, now, decide, webhook):
            log.info("batch %s answered", batch_key)
            self._due_known = False
            self.answers_queued.set()

    async def anything_due(self) -> bool:
        """Whether an unanswered batch is due on the agency's clock. The earliest due time is
        read from the store only after a receipt or an answer, and the clock is asked only
        while a batch waits: an idle agency costs its loop nothing (on the test server's
        clock a call each tick)."""
        if not self._due_known:
            self._next_due = await asyncio.to_thread(self.store.next_due)
            self._due_known = True
        return self._next_due is not None and await self.now() >= self._next_due

    def _decide(
        self, line: sqlite3.Row, db: sqlite3.Connection, region_code: str, mode: Mode
    ) -> LineResult:
        """One line against the register, which an accepted line then changes."""
        ref, action, month = line["person_ref"], line["action"], line["month"]
        person = register.person(db, ref)
        enrolled = person is not None and person["status"] == "enrolled"
        reason: str | None = None
        if not _valid_id(line["national_id"]):
            reason = INVALID_ID
        elif ref in mode.reject_persons:
            reason = NOT_MATCHED
        elif action == "enrol" and enrolled:
            reason = ALREADY_ENROLLED
        elif action != "enrol" and not enrolled:
            reason = NOT_ENROLLED
        elif action != "stop" and register.covered(db, ref, month):
            reason = MONTH_PAID
        if reason is not None:
            return LineResult(
                line_id=line["line_id"], person_ref=ref, result="rejected", reason=reason
            )
        register.record(db, line, region_code)
        duplicate = (ref, month) in mode.duplicates and action != "stop"
        return LineResult(
            line_id=line["line_id"],
            person_ref=ref,
            result="accepted",
            duplicate_premium=register.fen(line["premium_fen"]) if duplicate else None,  # type: ignore[arg-type]
        )

    async def process_forever(self) -> None:
        """The processing loop: every tick (real time), answer what the clock says is due."""
        failing = False
        while True:
            try:
                if not self.mode.down and await self.anything_due():
                    await self.process_due()
                failing = False
            except Exception as exc:
                if not failing:  # say it once, not every tick
                    log.warning("processing pass failed: %s", exc)
                failing = True
            await asyncio.sleep(self.config.tick_seconds)


def _valid_id(national_id: str) -> bool:
    try:
        validate_national_id(national_id)
    except InvalidIdentifier:
        return False
    return True
