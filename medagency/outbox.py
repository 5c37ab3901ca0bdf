"""The agency's outbox of late answers, part of its store: each batch's webhook queued once
(in the transaction that answers it), then delivered with retries (medagency/webhooks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.simservice import SqliteStore

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    batch_key TEXT NOT NULL UNIQUE,
    body BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,  -- failed deliveries so far
    sends INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL DEFAULT 0,  -- wall time: retries follow real time
    delivered_at REAL,
    last_error TEXT
);
"""


@dataclass
class Webhook:
    id: int
    batch_key: str
    body: bytes
    attempts: int


class WebhookOutbox(SqliteStore):
    def pending_webhooks(self, wall_now: float, limit: int = 20) -> list[Webhook]:
        rows = self._rows(
            "SELECT id, batch_key, body, attempts FROM webhooks WHERE delivered_at IS NULL"
            " AND next_attempt <= ? ORDER BY id LIMIT ?",
            (wall_now, limit),
        )
        return [Webhook(r["id"], r["batch_key"], r["body"], r["attempts"]) for r in rows]

    def webhook_sent(self, webhook_id: int, *, delivered_at: float | None, error: str | None,
                     next_attempt: float) -> None:  # fmt: skip
        with self._transaction() as db:
            if delivered_at is not None:
                db.execute(
                    "UPDATE webhooks SET sends = sends + 1, delivered_at = ?, last_error = NULL"
                    " WHERE id = ?",
                    (delivered_at, webhook_id),
                )
            else:
                db.execute(
                    "UPDATE webhooks SET sends = sends + 1, attempts = attempts + 1,"
                    " last_error = ?, next_attempt = ? WHERE id = ?",
                    (error, next_attempt, webhook_id),
                )

    def webhooks(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM webhooks ORDER BY id")
        return [
            {
                "batch_key": r["batch_key"],
                "failed_attempts": r["attempts"],
                "sends": r["sends"],
                "delivered": r["delivered_at"] is not None,
                "last_error": r["last_error"],
            }
            for r in rows
        ]
