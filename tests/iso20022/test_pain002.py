"""pain.002 status reports: round trip and refusals."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from iso20022 import (
    MessageError,
    StatusReport,
    TransactionStatus,
    build_pain002,
    pain002,
    parse_pain002,
)

REPORT = StatusReport(
    msg_id="STL0001",
    created_at=datetime(2024, 1, 16, 8, 30, tzinfo=UTC),
    original_msg_id="RUN-220100-2024-01",
    statuses=[
        TransactionStatus("E2E-0001", "ACSC", None),
        TransactionStatus("E2E-0002", "RJCT", "AC04"),
        TransactionStatus("E2E-0003", "RJCT", "AC01"),
        TransactionStatus("E2E-0004", "ACCP", None),
    ],
)


def test_round_trip() -> None:
    assert parse_pain002(build_pain002(REPORT)) == REPORT


def test_group_status_and_counts_per_status() -> None:
    xml = build_pain002(REPORT).decode()
    assert "<GrpSts>PART</GrpSts>" in xml
    assert "<DtldNbOfTxs>2</DtldNbOfTxs><DtldSts>RJCT</DtldSts>" in xml
    assert "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>" in xml
    single = StatusReport("M", REPORT.created_at, "R", [TransactionStatus("E", "ACCP", None)])
    assert "<GrpSts>ACCP</GrpSts>" in build_pain002(single).decode()


def test_reason_codes_travel_with_the_rejection() -> None:
    statuses = parse_pain002(build_pain002(REPORT)).statuses
    assert {s.end_to_end_id: s.reason for s in statuses if s.status == "RJCT"} == {
        "E2E-0002": "AC04",
        "E2E-0003": "AC01",
    }


GOOD = build_pain002(REPORT)


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"not xml at all", "malformed XML"),
        (GOOD.replace(b"pain.002.001.10", b"pain.002.001.03"), "wrong namespace"),
        (GOOD.replace(b"<TxSts>ACSC</TxSts>", b"<TxSts>XXXX</TxSts>", 1), "status 'XXXX'"),
        (GOOD.replace(b"<TxSts>ACSC</TxSts>", b"", 1), "status None"),
        (GOOD.replace(b"<OrgnlEndToEndId>E2E-0001</OrgnlEndToEndId>", b"", 1), "end-to-end ID"),
        (GOOD.replace(b"<MsgId>STL0001</MsgId>", b"", 1), "not a valid pain.002"),
    ],
)
def test_parse_refuses(xml: bytes, reason: str) -> None:
    with pytest.raises(MessageError) as refused:
        parse_pain002(xml)
    assert reason in refused.value.reason


def test_build_refuses_an_unknown_status() -> None:
    bad = StatusReport("M", REPORT.created_at, "R", [TransactionStatus("E", "DONE", None)])  # type: ignore[arg-type]
    with pytest.raises(MessageError):
        build_pain002(bad)


def test_the_booking_time_travels_as_acceptance_date_time() -> None:
    """AccptncDtTm carries the bank's booking time in its own offset (China time)."""
    booked = datetime(2024, 1, 16, 23, 50, tzinfo=timezone(timedelta(hours=8)))
    report = StatusReport(
        "STL0002",
        REPORT.created_at,
        "RUN-1",
        [TransactionStatus("E2E-0001", "ACSC", None, booked), TransactionStatus("E2E-2", "ACCP")],
    )
    xml = build_pain002(report)
    assert b"<AccptncDtTm>2024-01-16T23:50:00+08:00</AccptncDtTm>" in xml
    parsed = parse_pain002(xml)
    assert parsed == report and parsed.statuses[0].booked_at == booked
    assert parsed.statuses[0].booked_at is not None
    assert parsed.statuses[0].booked_at.date().isoformat() == "2024-01-16"


def test_lxml_transactions_are_the_bytes_the_library_renders() -> None:
    """Statuses 2..n are appended with lxml: the same bytes as xsdata's whole tree."""
    booked = datetime(2024, 1, 16, 23, 50, tzinfo=timezone(timedelta(hours=8)))
    report = StatusReport(
        "STL3",
        REPORT.created_at,
        "RUN-1",
        [
            TransactionStatus("E1", "ACSC", None, booked),
            TransactionStatus("E2", "RJCT", "AC04", booked),
            TransactionStatus("E3", "ACCP"),
        ],
    )
    tag = f"{{{pain002.NAMESPACE}}}TxInfAndSts"
    fast = list(etree.fromstring(build_pain002(report)).iter(tag))
    for element, st in zip(fast, report.statuses, strict=True):  # one status: all xsdata
        alone = build_pain002(dataclasses.replace(report, statuses=[st]))
        assert etree.tostring(element) == etree.tostring(next(etree.fromstring(alone).iter(tag)))
