"""The bank's own storage: one SQLite file through the standard library (not our db/ tables).

Amounts are integer fen, bank-clock times integer microseconds since the epoch (UTC).
Every method is synchronous and takes the store's lock; the app calls them in a thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.simservice import SqliteStore
from iso20022 import PaymentRun, TransactionStatus

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BANK_TZ = timezone(timedelta(hours=8))  # China Standard Time: booking dates
MICROSECOND = timedelta(microseconds=1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    msg_id TEXT PRIMARY KEY,
    content_sha256 TEXT NOT NULL,
    debtor_account TEXT NOT NULL,
    nb_of_txs INTEGER NOT NULL,
    ctrl_sum_fen INTEGER NOT NULL,
    accepted_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY,
    msg_id TEXT NOT NULL REFERENCES messages (msg_id),
    end_to_end_id TEXT NOT NULL,
    amount_fen INTEGER NOT NULL,
    creditor_name TEXT NOT NULL,
    creditor_account TEXT NOT NULL,
    creditor_bank_code TEXT NOT NULL,
    debtor_account TEXT NOT NULL,
    accept_status TEXT NOT NULL,  -- what the 202 said: ACCP, or RJCT DU05 (a duplicate)
    accept_reason TEXT,
    status TEXT NOT NULL,  -- now: ACCP (pending), ACSC (settled) or RJCT
    reason TEXT,
    due_us INTEGER NOT NULL,
    settled_us INTEGER,
    booking_date TEXT,  -- YYYY-MM-DD (China time) of settlement or return
    UNIQUE (msg_id, end_to_end_id)
);
CREATE INDEX IF NOT EXISTS transactions_e2e ON transactions (end_to_end_id);
CREATE INDEX IF NOT EXISTS transactions_due ON transactions (status, due_us);
CREATE INDEX IF NOT EXISTS transactions_booked ON transactions (debtor_account, booking_date);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    msg_id TEXT NOT NULL UNIQUE,  -- the pain.002's own message ID, stable across retries
    original_msg_id TEXT NOT NULL,
    body BLOB NOT NULL,
    created_us INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,  -- failed deliveries so far
    sends INTEGER NOT NULL DEFAULT 0,  -- HTTP requests made
    next_attempt REAL NOT NULL DEFAULT 0,  -- wall time: retries follow real time
    delivered_at REAL,
    last_error TEXT
);
"""

Decide = Callable[[str], tuple[str, str | None]]  # creditor account -> (status, reason)
Report = Callable[[str, list[TransactionStatus]], tuple[str, bytes]]  # -> (msg ID, XML)


def to_us(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def from_us(value: int) -> datetime:
    return EPOCH + value * MICROSECOND


def booked_at(settled_us: int) -> datetime:
    """The settlement time in China time: its date is the booking date of the statement."""
    return from_us(settled_us).astimezone(BANK_TZ)


def to_fen(amount: Decimal) -> int:
    return int(amount * 100)


def from_fen(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


@dataclass
class Message:
    msg_id: str
    content_sha256: str
    debtor_account: str
    nb_of_txs: int
    ctrl_sum_fen: int
    accepted_at: datetime


@dataclass
class Webhook:
    id: int
    msg_id: str
    body: bytes
    attempts: int


class BankStore(SqliteStore):
    def __init__(self, path: Path | str) -> None:
        super().__init__(path, SCHEMA)

    # -- messages -------------------------------------------------------------------------

    def message(self, msg_id: str) -> Message | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM messages WHERE msg_id = ?", (msg_id,)).fetchone()
        return _message(row) if row else None

    def accept(self, run: PaymentRun, content_sha256: str, now: datetime, due: datetime) -> bool:
        """Store the run's transactions as pending; False when the message ID is known.

        A transaction whose end-to-end ID another message already has is stored rejected
        (DU05) and never settles, so a resent transaction is never paid twice."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM messages WHERE msg_id = ?", (run.msg_id,)).fetchone():
                return False
            db.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)",
                (run.msg_id, content_sha256, run.debtor_account, len(run.transfers),
                 to_fen(run.total), to_us(now)),
            )  # fmt: skip
            rows = []
            for t in run.transfers:
                known = db.execute(
                    "SELECT 1 FROM transactions WHERE end_to_end_id = ? AND accept_status = 'ACCP'"
                    " LIMIT 1",
                    (t.end_to_end_id,),
                ).fetchone()
                status, reason = ("RJCT", "DU05") if known else ("ACCP", None)
                rows.append(
                    (run.msg_id, t.end_to_end_id, to_fen(t.amount), t.creditor_name,
                     t.creditor_account, t.creditor_bank_code, run.debtor_account,
                     status, reason, status, reason, to_us(due))
                )  # fmt: skip
            db.executemany(
                "INSERT INTO transactions (msg_id, end_to_end_id, amount_fen, creditor_name,"
                " creditor_account, creditor_bank_code, debtor_account, accept_status,"
                " accept_reason, status, reason, due_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
        return True

    def statuses(self, msg_id: str, *, at_acceptance: bool = False) -> list[TransactionStatus]:
        """Each transaction's status now, or as the acceptance answered it."""
        columns = (
            "accept_status, accept_reason, NULL" if at_acceptance else "status, reason, settled_us"
        )
        with self._lock:
            rows = self._db.execute(
                f"SELECT end_to_end_id, {columns} FROM transactions WHERE msg_id = ? ORDER BY id",
                (msg_id,),
            ).fetchall()
        return [
            TransactionStatus(r[0], r[1], r[2], booked_at(r[3]) if r[3] is not None else None)
            for r in rows
        ]

    # -- settlement -----------------------------------------------------------------------

    def settle_due(self, now: datetime, decide: Decide, report: Report, batch: int) -> int:
        """Settle (or return) every pending transaction due by `now`, booked on its due
        time's date, and queue one status report per original message (and batch)."""
        with self._transaction() as db:
            due = db.execute(
                "SELECT id, msg_id, end_to_end_id, creditor_account, due_us FROM transactions"
                " WHERE status = 'ACCP' AND due_us <= ? ORDER BY id",
                (to_us(now),),
            ).fetchall()
            updates: list[tuple[Any, ...]] = []
            per_message: dict[str, list[TransactionStatus]] = {}
            for row in due:
                status, reason = decide(row["creditor_account"])
                at = booked_at(row["due_us"])  # settled at its due time, booked on its date
                updates.append((status, reason, row["due_us"], at.date().isoformat(), row["id"]))
                tx = TransactionStatus(row["end_to_end_id"], status, reason, at)  # type: ignore[arg-type]
                per_message.setdefault(row["msg_id"], []).append(tx)
            db.executemany(
                "UPDATE transactions SET status = ?, reason = ?, settled_us = ?, booking_date = ?"
                " WHERE id = ?",
                updates,
            )
            for original, statuses in per_message.items():
                for start in range(0, len(statuses), batch):
                    msg_id, body = report(original, statuses[start : start + batch])
                    db.execute(
                        "INSERT INTO webhooks (msg_id, original_msg_id, body, created_us)"
                        " VALUES (?, ?, ?, ?)",
                        (msg_id, original, body, to_us(now)),
                    )
        return len(due)

    # -- webhooks -------------------------------------------------------------------------

    def pending_webhooks(self, wall_now: float, limit: int = 50) -> list[Webhook]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, msg_id, body, attempts FROM webhooks WHERE delivered_at IS NULL"
                " AND next_attempt <= ? ORDER BY id LIMIT ?",
                (wall_now, limit),
            ).fetchall()
        return [Webhook(r["id"], r["msg_id"], r["body"], r["attempts"]) for r in rows]

    def webhook_sent(
        self, webhook_id: int, *, sends: int, delivered_at: float | None, error: str | None,
        next_attempt: float,
    ) -> None:  # fmt: skip
        with self._transaction() as db:
            if delivered_at is not None:
                db.execute(
                    "UPDATE webhooks SET sends = sends + ?, delivered_at = ?, last_error = NULL"
                    " WHERE id = ?",
                    (sends, delivered_at, webhook_id),
                )
            else:
                db.execute(
                    "UPDATE webhooks SET sends = sends + ?, attempts = attempts + 1,"
                    " last_error = ?, next_attempt = ? WHERE id = ?",
                    (sends, error, next_attempt, webhook_id),
                )

    def webhooks(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, msg_id, original_msg_id, created_us, attempts, sends, delivered_at,"
                " last_error FROM webhooks ORDER BY id"
            ).fetchall()
        return [
            {
                "msg_id": r["msg_id"],
                "original_msg_id": r["original_msg_id"],
                "created_at": from_us(r["created_us"]).isoformat(),
                "failed_attempts": r["attempts"],
                "sends": r["sends"],
                "delivered": r["delivered_at"] is not None,
                "last_error": r["last_error"],
            }
            for r in rows
        ]

    # -- statements and inspection --------------------------------------------------------

    def booked(self, account: str, day: date) -> list[sqlite3.Row]:
        """Transactions settled or returned on `day`, in settlement order."""
        with self._lock:
            return self._db.execute(
                "SELECT end_to_end_id, amount_fen, status, reason FROM transactions"
                " WHERE debtor_account = ? AND booking_date = ? ORDER BY settled_us, id",
                (account, day.isoformat()),
            ).fetchall()

    def paid_before(self, account: str, day: date) -> int:
        """Fen paid out (settled, not returned) from `account` before `day`."""
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(amount_fen), 0) FROM transactions WHERE debtor_account = ?"
                " AND status = 'ACSC' AND booking_date < ?",
                (account, day.isoformat()),
            ).fetchone()
        return int(row[0])

    def transactions(self, msg_id: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM transactions"
        params: tuple[str, ...] = ()
        if msg_id is not None:
            query, params = query + " WHERE msg_id = ?", (msg_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [_transaction(r) for r in rows]


def _message(row: sqlite3.Row) -> Message:
    return Message(
        msg_id=row["msg_id"],
        content_sha256=row["content_sha256"],
        debtor_account=row["debtor_account"],
        nb_of_txs=row["nb_of_txs"],
        ctrl_sum_fen=row["ctrl_sum_fen"],
        accepted_at=from_us(row["accepted_us"]),
    )


def _transaction(row: sqlite3.Row) -> dict[str, Any]:
    settled = row["settled_us"]
    return {
        "msg_id": row["msg_id"],
        "end_to_end_id": row["end_to_end_id"],
        "amount": str(from_fen(row["amount_fen"])),
        "creditor_name": row["creditor_name"],
        "creditor_account": row["creditor_account"],
        "creditor_bank_code": row["creditor_bank_code"],
        "debtor_account": row["debtor_account"],
        "accept_status": row["accept_status"],
        "accept_reason": row["accept_reason"],
        "status": row["status"],
        "reason": row["reason"],
        "due_at": from_us(row["due_us"]).isoformat(),
        "settled_at": from_us(settled).isoformat() if settled is not None else None,
        "booking_date": row["booking_date"],
    }
