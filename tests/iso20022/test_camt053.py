"""camt.053 statements: round trip, reversals for returns, balances that add up."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from iso20022 import (
    MessageError,
    Statement,
    StatementEntry,
    build_camt053,
    build_camt053_days,
    camt053,
    parse_camt053,
    parse_camt053_days,
)
from iso20022.camt053 import NAMESPACE, document
from iso20022.xml import to_xml

DAY = date(2024, 1, 16)

STATEMENT = Statement(
    msg_id="STM0001",
    statement_id="22050161000000000001-20240116",
    created_at=datetime(2024, 1, 16, 16, 0, tzinfo=UTC),
    account="22050161000000000001",
    statement_date=DAY,
    opening_balance=Decimal("10000.00"),
    closing_balance=Decimal("9245.00"),
    entries=[
        StatementEntry("E2E-0001", Decimal("755.00"), "DBIT", DAY, "BOOK", None),
        StatementEntry("E2E-0002", Decimal("574.00"), "DBIT", DAY, "BOOK", None),
        StatementEntry("E2E-0002", Decimal("574.00"), "CRDT", DAY, "BOOK", "AC04"),
    ],
)


def test_round_trip() -> None:
    assert parse_camt053(build_camt053(STATEMENT)) == STATEMENT


def test_a_return_is_a_reversal_with_its_reason() -> None:
    xml = build_camt053(STATEMENT).decode()
    assert xml.count("<RvslInd>true</RvslInd>") == 1
    assert "<SubFmlyCd>RRTN</SubFmlyCd>" in xml
    assert "<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>" in xml
    assert "<Cd>OPBD</Cd>" in xml and "<Cd>CLBD</Cd>" in xml


def test_a_negative_balance_is_a_debit_balance() -> None:
    overdrawn = dataclasses.replace(
        STATEMENT, opening_balance=Decimal("-100.00"), closing_balance=Decimal("-855.00")
    )
    assert parse_camt053(build_camt053(overdrawn)) == overdrawn


def test_an_empty_day_keeps_its_balance() -> None:
    quiet = dataclasses.replace(STATEMENT, closing_balance=Decimal("10000.00"), entries=[])
    assert parse_camt053(build_camt053(quiet)) == quiet


def test_build_refuses_balances_that_do_not_add_up() -> None:
    wrong = dataclasses.replace(STATEMENT, closing_balance=Decimal("9000.00"))
    with pytest.raises(MessageError, match="closing balance"):
        build_camt053(wrong)


GOOD = build_camt053(STATEMENT)


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"<Document", "malformed XML"),
        (GOOD.replace(b"camt.053.001.08", b"camt.054.001.08"), "wrong namespace"),
        (GOOD.replace(b">9245.00<", b">9246.00<"), "closing balance"),
        (GOOD.replace(b"<Cd>OPBD</Cd>", b"<Cd>PRCD</Cd>"), "OPBD is missing"),
        (GOOD.replace(b"<Cd>BOOK</Cd>", b"<Cd>PDNG</Cd>", 1), "not BOOK"),
    ],
)
def test_parse_refuses(xml: bytes, reason: str) -> None:
    with pytest.raises(MessageError) as refused:
        parse_camt053(xml)
    assert reason in refused.value.reason


def _next_day(s: Statement, day: date) -> Statement:
    return dataclasses.replace(
        s,
        statement_id=f"22050161000000000001-{day:%Y%m%d}",
        statement_date=day,
        opening_balance=s.closing_balance,
        closing_balance=s.closing_balance,
        entries=[],
    )


DAYS = [STATEMENT, _next_day(STATEMENT, date(2024, 1, 17)), _next_day(STATEMENT, date(2024, 1, 18))]


def test_a_range_of_days_round_trips_as_one_message_of_a_statement_each() -> None:
    xml = build_camt053_days(DAYS)
    assert xml.count(b"<Stmt>") == 3 and xml.count(b"<MsgId>") == 1
    assert parse_camt053_days(xml, DAY, date(2024, 1, 18)) == DAYS
    assert build_camt053_days([STATEMENT]) == build_camt053(STATEMENT)  # one day: its own
    with pytest.raises(MessageError, match="3 account statements, expected exactly 1"):
        parse_camt053(xml)  # the one-day reader takes no range


def test_a_range_must_hold_each_day_once_of_one_account() -> None:
    xml = build_camt053_days(DAYS)
    with pytest.raises(MessageError, match="expected one for each of 2024-01-16..2024-01-19"):
        parse_camt053_days(xml, DAY, date(2024, 1, 19))  # a day missing
    with pytest.raises(MessageError, match="expected one for each"):
        parse_camt053_days(build_camt053_days([DAYS[0], DAYS[2]]), DAY, date(2024, 1, 17))
    other = dataclasses.replace(DAYS[1], account="999")
    with pytest.raises(MessageError, match="share its ID and account"):
        build_camt053_days([DAYS[0], other])
    mixed = xml.replace(b"<Id>22050161000000000001</Id>", b"<Id>999</Id>", 1)
    with pytest.raises(MessageError, match="more than one account"):
        parse_camt053_days(mixed, DAY, date(2024, 1, 18))
    unbalanced = xml.replace(b">10000.00<", b">10001.00<", 1)
    with pytest.raises(MessageError, match="closing balance"):
        parse_camt053_days(unbalanced, DAY, date(2024, 1, 18))


# Written and read with lxml directly: the bytes are the library's rendering of the same
# statements, and what is not exactly our rendering is read by the library's bindings.

ODD = dataclasses.replace(
    STATEMENT,
    msg_id="STM&<0002>",
    statement_id="22050161000000000001-20240116 \"'&",
    created_at=datetime(2024, 1, 16, 16, 0, 0, 123456, tzinfo=UTC),
    opening_balance=Decimal("-100"),
    closing_balance=Decimal("-855.00"),
    entries=[
        StatementEntry("E2E-0001 社保", Decimal("755"), "DBIT", DAY, "BOOK", None),
        StatementEntry("E2E-0002", Decimal("1E+3"), "CRDT", date(2024, 1, 15), "BOOK", "AC04"),
        StatementEntry("E2E-0003", Decimal("1000.00"), "DBIT", DAY, "BOOK", None),
    ],
)
QUIET = dataclasses.replace(STATEMENT, closing_balance=Decimal("10000.00"), entries=[])
INCOMING = dataclasses.replace(
    QUIET,
    closing_balance=Decimal("10001.50"),
    entries=[StatementEntry("IN-1", Decimal("1.50"), "CRDT", DAY, "BOOK", None)],
)


@pytest.mark.parametrize(
    "statements",
    [[STATEMENT], [ODD], [QUIET], [INCOMING], DAYS],
    ids=["entries", "odd-text-and-amounts", "quiet", "incoming", "range"],
)
def test_the_written_bytes_are_the_librarys_rendering(statements: list[Statement]) -> None:
    reference = to_xml(document(statements), NAMESPACE)
    assert build_camt053_days(statements) == reference
    first, last = statements[0].statement_date, statements[-1].statement_date
    read = parse_camt053_days(reference, first, last)
    assert read == [_as_bound(s) for s in statements]
    assert [s.created_at.tzinfo for s in read] == [UTC] * len(read)


def _as_bound(s: Statement) -> Statement:
    """What the bindings read back: amounts with 2 places."""
    return dataclasses.replace(
        s,
        opening_balance=s.opening_balance.quantize(Decimal("0.01")),
        closing_balance=s.closing_balance.quantize(Decimal("0.01")),
        entries=[
            dataclasses.replace(e, amount=e.amount.quantize(Decimal("0.01"))) for e in s.entries
        ],
    )


def test_our_own_message_is_read_without_the_bindings(monkeypatch: pytest.MonkeyPatch) -> None:
    xml = build_camt053_days(DAYS)

    def no_bindings(*_args: object) -> None:
        raise AssertionError("read through the bindings")

    monkeypatch.setattr(camt053.xml, "from_xml", no_bindings)
    assert parse_camt053_days(xml, DAY, date(2024, 1, 18)) == DAYS


def test_another_layout_is_read_by_the_bindings_the_same() -> None:
    pretty = etree.tostring(
        etree.fromstring(build_camt053(STATEMENT)), pretty_print=True, xml_declaration=True,
        encoding="UTF-8",
    )  # fmt: skip
    assert pretty != build_camt053(STATEMENT)
    assert parse_camt053(pretty) == STATEMENT
    with pytest.raises(MessageError, match="not a valid camt.053"):  # what the bindings refuse
        parse_camt053(GOOD.replace(b"<Sts>", b"<Foo>x</Foo><Sts>", 1))
