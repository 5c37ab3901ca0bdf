"""The agency's register: each person's status and the months their premium was paid. A month
is covered once (its primary key), so tests can check that no month is ever paid twice. The
functions take the store's connection inside its transaction (medagency/store.py)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    person_ref TEXT PRIMARY KEY,
    region_code TEXT NOT NULL,
    status TEXT NOT NULL,  -- enrolled | stopped
    enrolled_month TEXT NOT NULL,
    stopped_on TEXT
);
CREATE TABLE IF NOT EXISTS covered_months (
    person_ref TEXT NOT NULL,
    month TEXT NOT NULL,
    premium_fen INTEGER NOT NULL,
    batch_key TEXT NOT NULL,
    PRIMARY KEY (person_ref, month)
);
"""


def fen(value: int | None) -> str | None:
    return None if value is None else f"{Decimal(value) / 100:.2f}"


def person(db: sqlite3.Connection, person_ref: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM people WHERE person_ref = ?", (person_ref,)
    ).fetchone()
    return row


def covered(db: sqlite3.Connection, person_ref: str, month: str) -> bool:
    query = "SELECT 1 FROM covered_months WHERE person_ref = ? AND month = ?"
    return db.execute(query, (person_ref, month)).fetchone() is not None


def record(db: sqlite3.Connection, line: sqlite3.Row, region_code: str) -> None:
    """Apply an accepted line: an enrolment, a month's premium, or the stop (停保)."""
    ref = line["person_ref"]
    if line["action"] == "stop":
        db.execute(
            "UPDATE people SET status = 'stopped', stopped_on = ? WHERE person_ref = ?",
            (line["stop_date"], ref),
        )
        return
    if line["action"] == "enrol":
        db.execute(
            "INSERT INTO people VALUES (?, ?, 'enrolled', ?, NULL) ON CONFLICT (person_ref)"
            " DO UPDATE SET region_code = excluded.region_code, status = 'enrolled',"
            " enrolled_month = excluded.enrolled_month, stopped_on = NULL",
            (ref, region_code, line["month"]),
        )
    db.execute(
        "INSERT INTO covered_months VALUES (?, ?, ?, ?)",
        (ref, line["month"], line["premium_fen"], line["batch_key"]),
    )


def listing(people: list[sqlite3.Row], months: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """People with their covered months, as the admin endpoint shows them."""
    mine: dict[str, list[dict[str, Any]]] = {p["person_ref"]: [] for p in people}
    for m in months:
        mine[m["person_ref"]].append(
            {"month": m["month"], "premium": fen(m["premium_fen"]), "batch_key": m["batch_key"]}
        )
    return [
        {
            "person_ref": p["person_ref"],
            "region_code": p["region_code"],
            "status": p["status"],
            "enrolled_month": p["enrolled_month"],
            "stopped_on": p["stopped_on"],
            "months": mine[p["person_ref"]],
        }
        for p in people
    ]
