"""The one writer of the audit log, and its hash chain.

Every audit row goes through here: `write` (keyword-only, ORM, in the caller's transaction;
`once=True`: unless a row with its idempotency key exists), `record`/`record_once` (the same
for a row built already) and `insert_rows` (Core, in bulk).
Each row is sealed as it is written: it gets the next sequence number `seq`, the hash of the
row before (`prev_hash`) and its own `row_hash` = SHA-256(prev_hash + canonical row). The
chain's head (last seq and hash) is one row of `audit_chain`; updating it first serializes the
writers (a row lock on PostgreSQL, the write lock on SQLite) until their commit, so the chain
never forks. An AuditEntry added to a session by any other path is sealed at flush all the
same (the before_flush hook below); seq, prev_hash and row_hash are NOT NULL, so a Core insert
that bypassed this module fails. Database triggers (migration 0011) refuse UPDATE and DELETE.

    python -m db.audit verify     # walks the chain; exit 1 naming the first broken link

A broken link means a row was edited, removed or inserted outside this writer (e.g. by
someone who disabled the triggers)."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, inspect, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session
from sqlmodel import select as sql_select

from db.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
HEAD = AuditChainHead.__table__  # type: ignore[attr-defined]
FIELDS = ("key", "at", "actor", "action", "entity_type", "entity_id", "reason", "data")


def canonical(seq: int, row: Mapping[Any, Any]) -> str:
    """The row as hashed: its fields as sorted, compact JSON (time in UTC ISO 8601)."""
    at = row["at"]
    if isinstance(at, datetime):
        at = at.astimezone(UTC).isoformat()
    values = {name: row.get(name) for name in FIELDS}
    values["at"], values["seq"] = at, seq
    values["data"] = json.loads(json.dumps(values["data"] or {}))  # as the JSON column keeps it
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link(prev_hash: str, seq: int, row: Mapping[Any, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(seq, row)).encode()).hexdigest()


def _take_head(conn: Connection) -> tuple[int, str]:
    """Lock the chain's head (held until commit) and read it."""
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq))
    seq, last = conn.execute(select(HEAD.c.seq, HEAD.c.last_hash).where(HEAD.c.id == 1)).one()
    return int(seq), str(last)


def _move_head(conn: Connection, seq: int, last: str) -> None:
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=seq, last_hash=last))


# ---- writing -------------------------------------------------------------------------------


def record(session: Session, entry: AuditEntry) -> None:
    """Add an audit row to the session's transaction (sealed when flushed)."""
    session.add(entry)


def record_once(session: Session, entry: AuditEntry) -> None:
    """Add an audit row unless one with the same idempotency key exists."""
    found = session.exec(sql_select(AuditEntry.id).where(AuditEntry.key == entry.key)).first()
    if found is None:
        session.add(entry)


def write(
    session: Session,
    *,
    key: str,
    at: datetime | None,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    reason: str | None = None,
    data: Mapping[str, Any] | None = None,
    once: bool = False,
) -> None:
    """Record what happened in the session's transaction; `once`: unless a row with the same
    key exists (a retried activity, a repeated request)."""
    row = AuditEntry(
        key=key,
        at=at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        reason=reason,
        data=dict(data or {}),
    )
    (record_once if once else record)(session, row)


def insert_rows(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert plain rows (Core, in bulk) as sealed links of the chain; how many."""
    rows = list(rows)
    if not rows:
        return 0
    seq, last = _take_head(conn)
    sealed = []
    for row in rows:
        seq += 1
        last_before, last = last, link(last, seq, row)
        sealed.append({**row, "seq": seq, "prev_hash": last_before, "row_hash": last})
    for start in range(0, len(sealed), 5000):
        conn.execute(insert(AUDIT), sealed[start : start + 5000])
    _move_head(conn, seq, last)
    return len(sealed)


@event.listens_for(OrmSession, "before_flush")
def _seal(session: OrmSession, _flush: UOWTransaction, _instances: Any) -> None:
    """Seal the audit rows this flush inserts, in the order they were added."""
    new = [obj for obj in session.new if isinstance(obj, AuditEntry) and obj.row_hash is None]
    if not new:
        return
    new.sort(key=lambda obj: inspect(obj).insert_order or 0)
    conn = session.connection()
    seq, last = _take_head(conn)
    for entry in new:
        if entry.at is None:
            entry.at = datetime.now(UTC)
        seq += 1
        entry.seq, entry.prev_hash = seq, last
        entry.row_hash = last = link(last, seq, entry.model_dump())
    _move_head(conn, seq, last)


# ---- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    seq: int
    id: int | None
    why: str


def verify(engine: Engine) -> tuple[int, Broken | None]:
    """(rows checked, the first broken link or None)."""
    expected_seq, prev = 0, GENESIS
    columns = [AUDIT.c[name] for name in ("id", "seq", "prev_hash", "row_hash", *FIELDS)]
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=2000).execute(
            select(*columns).order_by(AUDIT.c.seq)
        )
        for row in rows.mappings():
            expected_seq += 1
            if row["seq"] != expected_seq:
                why = f"sequence jumps from {expected_seq - 1} to {row['seq']} (rows removed?)"
                return expected_seq - 1, Broken(row["seq"], row["id"], why)
            if row["prev_hash"] != prev:
                return expected_seq - 1, Broken(row["seq"], row["id"], "previous hash differs")
            if link(prev, row["seq"], row) != row["row_hash"]:
                return expected_seq - 1, Broken(row["seq"], row["id"], "row changed")
            prev = row["row_hash"]
        head = conn.execute(select(HEAD.c.seq, HEAD.c.last_hash).where(HEAD.c.id == 1)).one()
    if (int(head.seq), str(head.last_hash)) != (expected_seq, prev):
        why = f"the chain's head says {head.seq} rows, the log has {expected_seq} (tail removed?)"
        return expected_seq, Broken(expected_seq + 1, None, why)
    return expected_seq, None


def main(argv: list[str] | None = None) -> int:
    from core.settings import get_settings
    from db.engine import make_engine

    parser = argparse.ArgumentParser(prog="python -m db.audit", description=__doc__)
    parser.add_argument("command", choices=["verify"])
    parser.parse_args(argv)
    engine = make_engine(get_settings().effective_database_url)
    checked, broken = verify(engine)
    engine.dispose()
    if broken is not None:
        sys.stdout.write(
            f"audit log BROKEN at seq {broken.seq} (id {broken.id}): {broken.why};"
            f" {checked} rows before it are intact\n"
        )
        return 1
    sys.stdout.write(f"audit log intact: {checked} rows\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
