"""pain.001 credit transfers: round trip and every refusal (ARCHITECTURE.md, Money and the bank)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from iso20022 import CreditTransfer, MessageError, PaymentRun, build_pain001, parse_pain001, xml
from iso20022.pain001 import NAMESPACE, document


def transfer(e2e: str = "E2E-0001", amount: str = "755.00", **changes: Any) -> CreditTransfer:
    base = CreditTransfer(
        end_to_end_id=e2e,
        amount=Decimal(amount),
        creditor_name="张三",
        creditor_account="6222020200001234562",
        creditor_bank_code="102241000010",
        remittance="失业保险金 2024-01",
    )
    return dataclasses.replace(base, **changes)


def payment_run(*transfers: CreditTransfer) -> PaymentRun:
    return PaymentRun(
        msg_id="RUN-220100-2024-01",
        created_at=datetime(2024, 1, 15, 8, 30, tzinfo=UTC),
        execution_date=date(2024, 1, 15),
        debtor_name="长春市社会保险事业管理局",
        debtor_account="22050161000000000001",
        debtor_bank_code="105241000017",
        transfers=list(transfers) or [transfer("E2E-0001"), transfer("E2E-0002", "574.00")],
    )


def test_round_trip_keeps_every_field() -> None:
    run = payment_run()
    assert parse_pain001(build_pain001(run)) == run


def test_group_header_counts_and_sums_the_transactions() -> None:
    xml = build_pain001(payment_run()).decode()
    assert "<NbOfTxs>2</NbOfTxs>" in xml
    assert "<CtrlSum>1329.00</CtrlSum>" in xml
    assert xml.count("<PmtInf>") == 1
    assert 'xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"' in xml


def test_whole_yuan_amounts_are_written_with_two_places() -> None:
    run = payment_run(transfer(amount="755"))
    xml = build_pain001(run).decode()
    assert '<InstdAmt Ccy="CNY">755.00</InstdAmt>' in xml
    assert parse_pain001(xml.encode()).transfers[0].amount == Decimal("755.00")


def edit(xml: bytes, old: str, new: str) -> bytes:
    text = xml.decode()
    assert old in text
    return text.replace(old, new, 1).encode()


GOOD = build_pain001(payment_run())


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"<Document><unclosed></Document>", "malformed XML"),
        (b"", "empty"),
        (edit(GOOD, "pain.001.001.09", "pain.001.001.03"), "wrong namespace"),
        (edit(GOOD, "<NbOfTxs>2</NbOfTxs>", "<NbOfTxs>3</NbOfTxs>"), "NbOfTxs says 3"),
        (edit(GOOD, "<CtrlSum>1329.00</CtrlSum>", "<CtrlSum>1330.00</CtrlSum>"), "CtrlSum says"),
        (edit(GOOD, "E2E-0002", "E2E-0001"), "duplicate end-to-end ID"),
        (edit(GOOD, ">574.00<", ">0.00<"), "must be greater than 0"),
        (edit(GOOD, ">574.00<", ">-574.00<"), "must be greater than 0"),
        (edit(GOOD, ">574.00<", ">574.001<"), "more than 2 decimal places"),
        (edit(GOOD, 'Ccy="CNY">574.00', 'Ccy="USD">574.00'), "only CNY"),
        (edit(GOOD, "<MsgId>", "<Unknown/><MsgId>"), "not a valid pain.001"),
    ],
)
def test_parse_refuses(xml: bytes, reason: str) -> None:
    with pytest.raises(MessageError) as refused:
        parse_pain001(xml)
    assert reason in refused.value.reason


def test_external_entities_are_not_resolved() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + GOOD.split(b"?>", 1)[1].replace(b"RUN-220100-2024-01", b"&x;", 1)
    )
    with pytest.raises(MessageError):
        parse_pain001(xxe)


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        (payment_run(transfer("A"), transfer("A")), "duplicate end-to-end ID"),
        (payment_run(transfer(amount="0")), "greater than 0"),
        (payment_run(transfer(amount="1.005")), "more than 2 decimal places"),
        (payment_run(transfer(e2e="X" * 36)), "longer than 35"),
    ],
)
def test_build_refuses_what_parse_would(run: PaymentRun, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        build_pain001(run)


def test_a_run_needs_transfers() -> None:
    run = payment_run()
    run.transfers = []
    with pytest.raises(MessageError, match="at least one"):
        build_pain001(run)


def test_lxml_transactions_are_the_bytes_the_library_renders() -> None:
    """build_pain001 appends transactions 2..n with lxml: the same message, byte for byte,
    as pyiso20022/xsdata rendering the whole object tree."""
    run = payment_run(
        transfer("E2E-0001"), transfer("E2E-0002", "574.10"), transfer("E2E-0003", remittance="")
    )
    reference = xml.to_xml(document(run, run.transfers), NAMESPACE)
    assert build_pain001(run) == reference


def test_a_large_run_round_trips() -> None:
    run = payment_run(
        *(transfer(f"E2E-{i:05d}", f"{1 + i % 900}.{i % 100:02d}") for i in range(2000))
    )
    assert parse_pain001(build_pain001(run)) == run


def test_an_unknown_element_in_a_later_transaction_is_refused() -> None:
    good = build_pain001(payment_run(transfer("E2E-0001"), transfer("E2E-0002")))
    bad = edit(good, "<EndToEndId>E2E-0002</EndToEndId>", "<EndToEndId>E2E-0002</EndToEndId><X/>")
    with pytest.raises(MessageError, match="unknown element X in transaction 2"):
        parse_pain001(bad)
    last = good.rindex(b"<Cdtr>")  # the second transaction's creditor, removed
    missing = good[:last] + good[good.index(b"</Cdtr>", last) + len(b"</Cdtr>") :]
    with pytest.raises(MessageError, match="creditor \\(Cdtr\\) is missing"):
        parse_pain001(missing)
