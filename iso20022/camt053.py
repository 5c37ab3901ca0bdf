"""camt.053.001.08 bank-to-customer statement: one account, one booking day per statement
(`Stmt` block). A message holds one statement, or, for a range of days asked at once, one per
day under one group header (one message ID, one signature over the whole body).

Each entry is one transaction (end-to-end ID in its details). A returned payment appears as
a reversal (`RvslInd`, credit, bank transaction code PMNT/ICDT/RRTN) carrying the ISO
return reason. Balances: OPBD and CLBD; a negative balance is written as a DBIT balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pyiso20022.camt.camt_053_001_08 import (
    AccountIdentification4Choice,
    AccountStatement9,
    ActiveOrHistoricCurrencyAndAmount,
    AmountAndDirection35,
    BalanceType10Choice,
    BalanceType13,
    BankToCustomerStatementV08,
    BankTransactionCodeStructure4,
    BankTransactionCodeStructure5,
    BankTransactionCodeStructure6,
    CashAccount39,
    CashBalance8,
    CreditDebitCode,
    DateAndDateTime2Choice,
    Document,
    EntryDetails9,
    EntryStatus1Choice,
    EntryTransaction10,
    GenericAccountIdentification1,
    GroupHeader81,
    NumberAndSumOfTransactions1,
    NumberAndSumOfTransactions4,
    PaymentReturnReason5,
    ReportEntry10,
    ReturnReason5Choice,
    TotalTransactions6,
    TransactionReferences6,
)

from iso20022 import xml
from iso20022.errors import MessageError

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
MESSAGE_NAME = "camt.053.001.08"
OPENING, CLOSING = "OPBD", "CLBD"

CreditDebit = Literal["DBIT", "CRDT"]


@dataclass
class StatementEntry:
    end_to_end_id: str
    amount: Decimal
    credit_debit: CreditDebit
    booking_date: date
    status: Literal["BOOK"] = "BOOK"
    return_reason: str | None = None

    @property
    def signed(self) -> Decimal:
        """The entry's effect on the balance."""
        return self.amount if self.credit_debit == "CRDT" else -self.amount


@dataclass
class Statement:
    msg_id: str
    statement_id: str
    created_at: datetime
    account: str
    statement_date: date
    opening_balance: Decimal
    closing_balance: Decimal
    entries: list[StatementEntry] = field(default_factory=list)


def build_camt053(statement: Statement) -> bytes:
    """The statement as camt.053 XML; refuses balances that the entries do not explain."""
    return build_camt053_days([statement])


def build_camt053_days(statements: list[Statement]) -> bytes:
    """Several days' statements of one account in one message, a `Stmt` block each, under
    the first one's message ID and creation time (one message, so one signature and one
    nonce for the range); each day's balances must add up as in a message of its own."""
    if not statements:
        raise MessageError("no statement to build")
    head = statements[0]
    for statement in statements:
        _check(statement)
        if (statement.msg_id, statement.account) != (head.msg_id, head.account):
            raise MessageError("the statements of one message share its ID and account")
    document = Document(
        bk_to_cstmr_stmt=BankToCustomerStatementV08(
            grp_hdr=GroupHeader81(msg_id=head.msg_id, cre_dt_tm=xml.xml_datetime(head.created_at)),
            stmt=[_account_statement(s) for s in statements],
        )
    )
    return xml.to_xml(document, NAMESPACE)


def _account_statement(statement: Statement) -> AccountStatement9:
    credits = [e.amount for e in statement.entries if e.credit_debit == "CRDT"]
    debits = [e.amount for e in statement.entries if e.credit_debit == "DBIT"]
    net = sum(credits, Decimal("0.00")) - sum(debits, Decimal("0.00"))
    day = statement.statement_date
    return AccountStatement9(
        id=statement.statement_id,
        cre_dt_tm=xml.xml_datetime(statement.created_at),
        acct=CashAccount39(
            id=AccountIdentification4Choice(
                othr=GenericAccountIdentification1(id=statement.account)
            ),
            ccy=xml.CURRENCY,
        ),
        bal=[
            _balance(OPENING, statement.opening_balance, day),
            _balance(CLOSING, statement.closing_balance, day),
        ],
        txs_summry=TotalTransactions6(
            ttl_ntries=NumberAndSumOfTransactions4(
                nb_of_ntries=str(len(statement.entries)),
                sum=xml.money(sum(credits + debits, Decimal("0.00"))),
                ttl_net_ntry=AmountAndDirection35(
                    amt=xml.money(abs(net)), cdt_dbt_ind=_indicator(net)
                ),
            ),
            ttl_cdt_ntries=_totals(credits),
            ttl_dbt_ntries=_totals(debits),
        ),
        ntry=[_entry(e) for e in statement.entries],
    )


def parse_camt053(data: bytes) -> Statement:
    """Read a camt.053 of one statement; MessageError when malformed or when the balances
    do not add up."""
    statements = _parse(data)
    if len(statements) != 1:
        raise MessageError(f"{len(statements)} account statements, expected exactly 1")
    return statements[0]


def parse_camt053_days(data: bytes, first: date, last: date) -> list[Statement]:
    """Read a camt.053 of the days `first`..`last`: exactly one statement per day, in order,
    all of one account (each with the message's ID); MessageError otherwise."""
    statements = _parse(data)
    days = [s.statement_date for s in statements]
    expected = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    if days != expected:
        raise MessageError(
            f"statements of {len(days)} days, expected one for each of {first}..{last}"
        )
    if len({s.account for s in statements}) != 1:
        raise MessageError("statements of more than one account in one message")
    return statements


def _parse(data: bytes) -> list[Statement]:
    document = xml.from_xml(data, NAMESPACE, Document, MESSAGE_NAME)
    body = document.bk_to_cstmr_stmt
    msg_id = xml.identifier(body.grp_hdr.msg_id, "message ID")
    created_at = xml.py_datetime(body.grp_hdr.cre_dt_tm, "creation time")
    return [_read_statement(stmt, msg_id, created_at) for stmt in body.stmt]


def _read_statement(stmt: AccountStatement9, msg_id: str, created_at: datetime) -> Statement:
    other = stmt.acct.id.othr
    if other is None:
        raise MessageError("statement account: Id/Othr/Id is missing")
    if stmt.acct.ccy is not None:
        xml.currency(stmt.acct.ccy, "statement account")
    balances = {b.tp.cd_or_prtry.cd: b for b in stmt.bal}
    for code in (OPENING, CLOSING):
        if code not in balances:
            raise MessageError(f"balance {code} is missing")
    statement = Statement(
        msg_id=msg_id,
        statement_id=xml.identifier(stmt.id, "statement ID"),
        created_at=created_at,
        account=xml.identifier(other.id, "statement account", 34),
        statement_date=xml.py_date(balances[CLOSING].dt.dt, "closing balance date"),
        opening_balance=_read_balance(balances[OPENING]),
        closing_balance=_read_balance(balances[CLOSING]),
        entries=[_read_entry(e, i) for i, e in enumerate(stmt.ntry, 1)],
    )
    _check(statement)
    return statement


def _check(statement: Statement) -> None:
    xml.identifier(statement.msg_id, "message ID")
    xml.identifier(statement.statement_id, "statement ID")
    xml.identifier(statement.account, "statement account", 34)
    for e in statement.entries:
        xml.identifier(e.end_to_end_id, "entry end-to-end ID")
        xml.amount(e.amount, f"entry {e.end_to_end_id}")
        if e.credit_debit not in ("DBIT", "CRDT"):
            raise MessageError(f"entry {e.end_to_end_id}: credit/debit {e.credit_debit!r}")
        if e.status != "BOOK":
            raise MessageError(f"entry {e.end_to_end_id}: status {e.status!r}, expected BOOK")
    expected = xml.money(
        statement.opening_balance + sum((e.signed for e in statement.entries), Decimal(0))
    )
    if expected != xml.money(statement.closing_balance):
        raise MessageError(
            f"closing balance {statement.closing_balance} does not match the opening balance "
            f"{statement.opening_balance} plus the entries ({expected})"
        )


def _indicator(value: Decimal) -> CreditDebitCode:
    return CreditDebitCode.DBIT if value < 0 else CreditDebitCode.CRDT


def _balance(code: str, value: Decimal, day: date) -> CashBalance8:
    return CashBalance8(
        tp=BalanceType13(cd_or_prtry=BalanceType10Choice(cd=code)),
        amt=ActiveOrHistoricCurrencyAndAmount(value=xml.money(abs(value)), ccy=xml.CURRENCY),
        cdt_dbt_ind=_indicator(value),
        dt=DateAndDateTime2Choice(dt=xml.xml_date(day)),
    )


def _read_balance(balance: CashBalance8) -> Decimal:
    xml.currency(balance.amt.ccy, f"balance {balance.tp.cd_or_prtry.cd}")
    value = xml.money(balance.amt.value)
    return -value if balance.cdt_dbt_ind == CreditDebitCode.DBIT else value


def _totals(amounts: list[Decimal]) -> NumberAndSumOfTransactions1:
    return NumberAndSumOfTransactions1(
        nb_of_ntries=str(len(amounts)), sum=xml.money(sum(amounts, Decimal("0.00")))
    )


def _code(family: str, sub_family: str) -> BankTransactionCodeStructure4:
    return BankTransactionCodeStructure4(
        domn=BankTransactionCodeStructure5(
            cd="PMNT", fmly=BankTransactionCodeStructure6(cd=family, sub_fmly_cd=sub_family)
        )
    )


def _entry(e: StatementEntry) -> ReportEntry10:
    indicator = CreditDebitCode(e.credit_debit)
    amount = ActiveOrHistoricCurrencyAndAmount(value=xml.money(e.amount), ccy=xml.CURRENCY)
    if e.return_reason:  # a returned issued credit transfer, reversed onto our account
        code = _code("ICDT", "RRTN")
    elif e.credit_debit == "DBIT":  # an issued domestic credit transfer
        code = _code("ICDT", "DMCT")
    else:  # a received domestic credit transfer
        code = _code("RCDT", "DMCT")
    returned = (
        PaymentReturnReason5(rsn=ReturnReason5Choice(cd=e.return_reason))
        if e.return_reason
        else None
    )
    booked = DateAndDateTime2Choice(dt=xml.xml_date(e.booking_date))
    return ReportEntry10(
        ntry_ref=e.end_to_end_id,
        amt=amount,
        cdt_dbt_ind=indicator,
        rvsl_ind=True if e.return_reason else None,
        sts=EntryStatus1Choice(cd=e.status),
        bookg_dt=booked,
        val_dt=DateAndDateTime2Choice(dt=xml.xml_date(e.booking_date)),
        bk_tx_cd=code,
        ntry_dtls=[
            EntryDetails9(
                tx_dtls=[
                    EntryTransaction10(
                        refs=TransactionReferences6(end_to_end_id=e.end_to_end_id),
                        amt=amount,
                        cdt_dbt_ind=indicator,
                        rtr_inf=returned,
                    )
                ]
            )
        ],
    )


def _read_entry(entry: ReportEntry10, index: int) -> StatementEntry:
    details = [tx for d in entry.ntry_dtls for tx in d.tx_dtls]
    if len(details) != 1 or details[0].refs is None or not details[0].refs.end_to_end_id:
        raise MessageError(f"entry {index}: expected one transaction with an end-to-end ID")
    tx = details[0]
    e2e = xml.identifier(tx.refs.end_to_end_id if tx.refs else None, f"entry {index}")
    xml.currency(entry.amt.ccy, f"entry {e2e}")
    if entry.sts.cd != "BOOK":
        raise MessageError(f"entry {e2e}: status {entry.sts.cd or entry.sts.prtry!r}, not BOOK")
    booked = entry.bookg_dt.dt if entry.bookg_dt is not None else None
    reason = tx.rtr_inf.rsn if tx.rtr_inf is not None else None
    return StatementEntry(
        end_to_end_id=e2e,
        amount=xml.amount(entry.amt.value, f"entry {e2e}"),
        credit_debit="CRDT" if entry.cdt_dbt_ind == CreditDebitCode.CRDT else "DBIT",
        booking_date=xml.py_date(booked, f"entry {e2e}: booking date"),
        status="BOOK",
        return_reason=(reason.cd or reason.prtry) if reason is not None else None,
    )
