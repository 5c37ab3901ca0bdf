"""The agency's own storage: one SQLite file through the standard library (not our db/ tables).

It keeps what the agency was sent (batches and their lines, each batch key once), what it
answered, the answers' webhooks, and its register (medagency/register.py). Amounts are integer fen,
agency-clock times integer microseconds since the epoch (UTC). Every method is synchronous and
takes the store's lock; the app calls them in a thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from medagency import register
from medagency.outbox import OUTBOX_SCHEMA, WebhookOutbox
from medagency.protocol import Declaration, LineResult
from medagency.register import fen

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_key TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    month TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    received_us INTEGER NOT NULL,
    due_us INTEGER NOT NULL,  -- when the answer is ready (agency clock)
    status TEXT NOT NULL,  -- received | answered
    answered_us INTEGER,
    late INTEGER NOT NULL,  -- answered after the POST: a webhook tells the result
    receipts INTEGER NOT NULL DEFAULT 1  -- how many times it was sent (accepted once)
);
CREATE TABLE IF NOT EXISTS lines (
    batch_key TEXT NOT NULL REFERENCES batches (batch_key),
    seq INTEGER NOT NULL,
    line_id TEXT NOT NULL,
    action TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    national_id TEXT NOT NULL,
    name TEXT NOT NULL,
    month TEXT NOT NULL,
    premium_fen INTEGER NOT NULL,
    stop_date TEXT,
    result TEXT,  -- accepted | rejected (NULL until answered)
    reason TEXT,
    duplicate_fen INTEGER,
    PRIMARY KEY (batch_key, line_id)
);
"""

# (line row, the register's view of the person) -> the line's result
Decide = Callable[[sqlite3.Row, sqlite3.Connection], LineResult]


def to_us(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def from_us(value: int) -> datetime:
    return EPOCH + value * MICROSECOND


def to_fen(amount: Decimal) -> int:
    return int(amount * 100)


@dataclass
class Batch:
    batch_key: str
    region_code: str
    month: str
    content_sha256: str
    status: str
    received_at: datetime
    due_at: datetime
    answered_at: datetime | None
    late: bool


class AgencyStore(WebhookOutbox):
    def __init__(self, path: Path | str) -> None:
        super().__init__(path, SCHEMA + register.SCHEMA + OUTBOX_SCHEMA)

    # -- batches --------------------------------------------------------------------------

    def receive(self, decl: Declaration, digest: str, now: datetime, due: datetime) -> Batch | None:
        """Store a new batch with its lines (None), or answer the batch a known key was first
        stored as (nothing changes but the count of receipts of the same content)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT * FROM batches WHERE batch_key = ?", (decl.batch_key,)
            ).fetchone()
            if row is not None:
                db.execute(
                    "UPDATE batches SET receipts = receipts + 1"
                    " WHERE batch_key = ? AND content_sha256 = ?",
                    (decl.batch_key, digest),
                )
                return _batch(row)
            db.execute(
                "INSERT INTO batches (batch_key, region_code, month, content_sha256,"
                " received_us, due_us, status, late) VALUES (?, ?, ?, ?, ?, ?, 'received', ?)",
                (decl.batch_key, decl.region_code, decl.month, digest, to_us(now), to_us(due),
                 int(due > now)),
            )  # fmt: skip
            db.executemany(
                "INSERT INTO lines (batch_key, seq, line_id, action, person_ref, national_id,"
                " name, month, premium_fen, stop_date) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (decl.batch_key, seq, ln.line_id, ln.action, ln.person_ref, ln.national_id,
                     ln.name, ln.month, to_fen(ln.premium),
                     ln.stop_date.isoformat() if ln.stop_date else None)
                    for seq, ln in enumerate(decl.lines)
                ],
            )  # fmt: skip
        return None

    def batch(self, batch_key: str) -> Batch | None:
        rows = self._rows("SELECT * FROM batches WHERE batch_key = ?", (batch_key,))
        return _batch(rows[0]) if rows else None

    def next_due(self) -> datetime | None:
        """When the earliest unanswered batch is due; None when every batch is answered."""
        rows = self._rows("SELECT MIN(due_us) FROM batches WHERE status = 'received'")
        return None if rows[0][0] is None else from_us(rows[0][0])

    def due_batches(self, now: datetime) -> list[str]:
        rows = self._rows(
            "SELECT batch_key FROM batches WHERE status = 'received' AND due_us <= ?"
            " ORDER BY received_us",
            (to_us(now),),
        )
        return [r[0] for r in rows]

    def answer_batch(
        self,
        batch_key: str,
        now: datetime,
        decide: Decide,
        webhook: Callable[[list[LineResult]], bytes],
    ) -> bool:
        """Decide every line in order against the register (which each accepted line
        updates), in one transaction; queue the answer's webhook when the batch was late.
        False when it was answered before."""
        with self._transaction() as db:
            batch = db.execute(
                "SELECT status, late FROM batches WHERE batch_key = ?", (batch_key,)
            ).fetchone()
            if batch is None or batch["status"] != "received":
                return False
            lines = db.execute(
                "SELECT * FROM lines WHERE batch_key = ? ORDER BY seq", (batch_key,)
            ).fetchall()
            results = []
            for line in lines:
                result = decide(line, db)
                results.append(result)
                db.execute(
                    "UPDATE lines SET result = ?, reason = ?, duplicate_fen = ?"
                    " WHERE batch_key = ? AND line_id = ?",
                    (result.result, result.reason,
                     to_fen(result.duplicate_premium) if result.duplicate_premium else None,
                     batch_key, line["line_id"]),
                )  # fmt: skip
            db.execute(
                "UPDATE batches SET status = 'answered', answered_us = ? WHERE batch_key = ?",
                (to_us(now), batch_key),
            )
            if batch["late"]:
                db.execute(
                    "INSERT INTO webhooks (batch_key, body) VALUES (?, ?)",
                    (batch_key, webhook(results)),
                )
        return True

    def results(self, batch_key: str) -> list[LineResult]:
        rows = self._rows(
            "SELECT line_id, person_ref, result, reason, duplicate_fen FROM lines"
            " WHERE batch_key = ? ORDER BY seq",
            (batch_key,),
        )
        return [
            LineResult(
                line_id=r["line_id"],
                person_ref=r["person_ref"],
                result=r["result"],
                reason=r["reason"],
                duplicate_premium=fen(r["duplicate_fen"]),  # type: ignore[arg-type]
            )
            for r in rows
        ]

    # -- the register ----------------------------------------------------------------------

    def people(self, person_ref: str | None = None) -> list[dict[str, Any]]:
        """Each person's status and covered months (one person's, when named)."""
        where, params = ("WHERE person_ref = ?", (person_ref,)) if person_ref else ("", ())
        people = self._rows(f"SELECT * FROM people {where} ORDER BY person_ref", params)
        months = self._rows(
            f"SELECT * FROM covered_months {where} ORDER BY person_ref, month", params
        )
        return register.listing(people, months)

    def batches(self) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT b.*, (SELECT COUNT(*) FROM lines l WHERE l.batch_key = b.batch_key) AS n"
            " FROM batches b ORDER BY received_us"
        )
        return [
            {
                "batch_key": r["batch_key"],
                "region_code": r["region_code"],
                "month": r["month"],
                "status": r["status"],
                "lines": r["n"],
                "receipts": r["receipts"],
                "late": bool(r["late"]),
                "received_at": from_us(r["received_us"]).isoformat(),
                "answered_at": from_us(r["answered_us"]).isoformat() if r["answered_us"] else None,
            }
            for r in rows
        ]


def _batch(row: sqlite3.Row) -> Batch:
    answered = row["answered_us"]
    return Batch(
        batch_key=row["batch_key"],
        region_code=row["region_code"],
        month=row["month"],
        content_sha256=row["content_sha256"],
        status=row["status"],
        received_at=from_us(row["received_us"]),
        due_at=from_us(row["due_us"]),
        answered_at=from_us(answered) if answered is not None else None,
        late=bool(row["late"]),
    )
