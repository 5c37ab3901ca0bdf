"""The bank webhook keeps each verified status report once (api/routes/bank_webhook.py through
db/bank_messages.py)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from db import bank_messages
from db.models import BankStatusReport
from payloads.payments import StatusReportRef

BODY = b"<?xml version='1.0' encoding='UTF-8'?><Document>\xe6\x94\xaf\xe4\xbb\x98</Document>"


def _ref(body: bytes) -> StatusReportRef:
    return StatusReportRef(hashlib.sha256(body).hexdigest(), 3)


def keep_report(
    engine: Engine, ref: StatusReportRef, run_id: str, msg_id: str, body: bytes, at: datetime
) -> bool:
    return bank_messages.keep_report(
        engine,
        report_id=ref.report_id,
        statuses=ref.statuses,
        run_id=run_id,
        msg_id=msg_id,
        body=body,
        at=at,
    )


def _rows(engine: Engine, ref: StatusReportRef) -> list[BankStatusReport]:
    with Session(engine) as session:
        q = select(BankStatusReport).where(BankStatusReport.report_id == ref.report_id)
        return list(session.exec(q).all())


def test_a_report_delivered_twice_is_kept_once_as_received(engine: Engine) -> None:
    body = BODY + b"<!-- twice -->"
    ref, at = _ref(body), datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    taken = [keep_report(engine, ref, "R220100-20261125-0001", "BANK-STS-1", body, at)]
    taken.append(keep_report(engine, ref, "R220100-20261125-0001", "BANK-STS-1", body, at))
    assert taken == [True, False]  # the second: its message ID taken already (a replay)
    rows = _rows(engine, ref)
    assert len(rows) == 1
    kept = rows[0]
    assert kept.body == body  # byte for byte, Chinese text included
    assert (kept.run_id, kept.msg_id, kept.statuses) == ("R220100-20261125-0001", "BANK-STS-1", 3)
    assert kept.received_at == at


def test_two_deliveries_at_once_keep_one_row_and_neither_fails(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = BODY + b"<!-- at once -->"
    ref, at = _ref(body), datetime(2026, 11, 25, 9, 31, tzinfo=UTC)
    keep_report(engine, ref, "R220100-20261125-0002", "BANK-STS-2", body, at)
    # the second request's look-up missed the row the first had just committed: its insert
    # conflicts, and it finds the row there after all
    seen: list[Any] = []

    class Racing(Session):
        def get(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(row := super().get(*args, **kwargs) if seen else None)
            return row

    monkeypatch.setattr(bank_messages, "Session", Racing)
    assert not keep_report(engine, ref, "R220100-20261125-0002", "BANK-STS-2", body, at)
    assert seen[0] is None and seen[-1] is not None  # the conflict path ran and found it
    assert len(_rows(engine, ref)) == 1


def test_a_report_in_another_encoding_is_kept_as_its_bytes(engine: Engine) -> None:
    body = "<?xml version='1.0' encoding='GB18030'?><Document>代发</Document>".encode("gb18030")
    ref = _ref(body)
    keep_report(engine, ref, "R220100-20261125-0003", "BANK-STS-3", body, datetime.now(UTC))
    assert _rows(engine, ref)[0].body == body
