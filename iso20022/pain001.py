"""pain.001.001.09 customer credit transfer initiation: one payment run, one debtor account.

The message has one payment information block (`PmtInfId` = the message ID) whose
transactions are domestic CNY credit transfers with category purpose BENE (benefit
payment). Banks are identified by their CNAPS member code (大额支付系统行号).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree
from pyiso20022.pain.pain_001_001_09 import (
    AccountIdentification4Choice,
    ActiveOrHistoricCurrencyAndAmount,
    AmountType4Choice,
    BranchAndFinancialInstitutionIdentification6,
    CashAccount38,
    CategoryPurpose1Choice,
    ClearingSystemIdentification2Choice,
    ClearingSystemMemberIdentification2,
    CreditTransferTransaction34,
    CustomerCreditTransferInitiationV09,
    DateAndDateTime2Choice,
    Document,
    FinancialInstitutionIdentification18,
    GenericAccountIdentification1,
    GroupHeader85,
    PartyIdentification135,
    PaymentIdentification6,
    PaymentInstruction30,
    PaymentMethod3Code,
    PaymentTypeInformation26,
    RemittanceInformation16,
)

from iso20022 import pain001_tx as tx
from iso20022 import xml
from iso20022.errors import MessageError

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
MESSAGE_NAME = "pain.001.001.09"
CLEARING_SYSTEM = "CNAPS"  # China National Advanced Payment System
CATEGORY_PURPOSE = "BENE"  # ISO ExternalCategoryPurpose1Code: benefit payment


@dataclass
class CreditTransfer:
    end_to_end_id: str
    amount: Decimal
    creditor_name: str
    creditor_account: str
    creditor_bank_code: str
    remittance: str


@dataclass
class PaymentRun:
    msg_id: str
    created_at: datetime
    execution_date: date
    debtor_name: str
    debtor_account: str
    debtor_bank_code: str
    transfers: list[CreditTransfer]

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.transfers), Decimal("0.00"))


def build_pain001(run: PaymentRun) -> bytes:
    """The run as pain.001 XML; refuses (MessageError) what `parse_pain001` would refuse.
    The header, the payment information and the first transaction are rendered by the
    library's bindings, the other transactions appended with lxml (`pain001_tx`)."""
    _check(run)
    rendered = xml.to_xml(document(run, run.transfers[:1]), NAMESPACE)
    if len(run.transfers) == 1:
        return rendered
    rest = run.transfers[1:]
    return xml.extended(
        rendered,
        tx.q("PmtInf"),
        lambda pmt_inf: tx.append_transactions(pmt_inf, rest, CLEARING_SYSTEM),
    )


def document(run: PaymentRun, transfers: list[CreditTransfer]) -> Document:
    """The message as the library's object tree, counts and sums of the whole run, with
    `transfers` as its transactions (all of them: the reference rendering in the tests)."""
    number, total = str(len(run.transfers)), xml.money(run.total)
    return Document(
        cstmr_cdt_trf_initn=CustomerCreditTransferInitiationV09(
            grp_hdr=GroupHeader85(
                msg_id=run.msg_id,
                cre_dt_tm=xml.xml_datetime(run.created_at),
                nb_of_txs=number,
                ctrl_sum=total,
                initg_pty=PartyIdentification135(nm=run.debtor_name),
            ),
            pmt_inf=[
                PaymentInstruction30(
                    pmt_inf_id=run.msg_id,
                    pmt_mtd=PaymentMethod3Code.TRF,
                    btch_bookg=False,  # one statement entry per transaction
                    nb_of_txs=number,
                    ctrl_sum=total,
                    pmt_tp_inf=PaymentTypeInformation26(
                        ctgy_purp=CategoryPurpose1Choice(cd=CATEGORY_PURPOSE)
                    ),
                    reqd_exctn_dt=DateAndDateTime2Choice(dt=xml.xml_date(run.execution_date)),
                    dbtr=PartyIdentification135(nm=run.debtor_name),
                    dbtr_acct=_account(run.debtor_account, xml.CURRENCY),
                    dbtr_agt=_agent(run.debtor_bank_code),
                    cdt_trf_tx_inf=[_transaction(t) for t in transfers],
                )
            ],
        )
    )


def parse_pain001(data: bytes) -> PaymentRun:
    """Read a pain.001; MessageError on malformed XML, a wrong namespace, counts or sums
    that do not match, duplicate end-to-end IDs, or amounts not > 0 with 2 places.

    The transactions are read one by one as they are parsed (lxml iterparse, each dropped
    once read); the rest of the message, with its first transaction, is bound and checked
    by the library's bindings."""
    events = xml.iterparse(data, tx.TX, MESSAGE_NAME)
    transfers: list[CreditTransfer] = []
    try:
        for _, element in events:
            transfers.append(tx.read_transaction(element, len(transfers) + 1))
            if len(transfers) > 1:
                parent = element.getparent()
                assert parent is not None
                parent.remove(element)
    except etree.XMLSyntaxError as exc:
        raise MessageError(f"malformed XML: {exc}") from None
    document = xml.from_tree(events.root, NAMESPACE, Document, MESSAGE_NAME)
    initiation = document.cstmr_cdt_trf_initn
    header = initiation.grp_hdr
    if len(initiation.pmt_inf) != 1:
        raise MessageError(
            f"{len(initiation.pmt_inf)} payment information blocks, expected exactly 1"
        )
    block = initiation.pmt_inf[0]
    if block.pmt_mtd != PaymentMethod3Code.TRF:
        raise MessageError(f"payment method {block.pmt_mtd}, only TRF is accepted")
    if block.reqd_exctn_dt.dt is None:
        raise MessageError("requested execution date (ReqdExctnDt/Dt) is missing")
    run = PaymentRun(
        msg_id=xml.identifier(header.msg_id, "message ID"),
        created_at=xml.py_datetime(header.cre_dt_tm, "creation time"),
        execution_date=xml.py_date(block.reqd_exctn_dt.dt, "execution date"),
        debtor_name=xml.text(block.dbtr.nm, "debtor name"),
        debtor_account=_account_id(block.dbtr_acct, "debtor account"),
        debtor_bank_code=_member_id(block.dbtr_agt, "debtor agent"),
        transfers=transfers,
    )
    _check(run, fields=False)
    stated = xml.count(header.nb_of_txs, "NbOfTxs")
    if stated != len(run.transfers):
        raise MessageError(f"NbOfTxs says {stated}, the message has {len(run.transfers)}")
    if block.nb_of_txs is not None and xml.count(block.nb_of_txs, "PmtInf/NbOfTxs") != stated:
        raise MessageError(f"PmtInf/NbOfTxs says {block.nb_of_txs}, the group header {stated}")
    if header.ctrl_sum is None:
        raise MessageError("CtrlSum is missing")
    for where, stated_sum in (("CtrlSum", header.ctrl_sum), ("PmtInf/CtrlSum", block.ctrl_sum)):
        if stated_sum is not None and stated_sum != run.total:
            raise MessageError(f"{where} says {stated_sum}, the transactions sum to {run.total}")
    return run


def _check(run: PaymentRun, *, fields: bool = True) -> None:
    """What a message must satisfy; `fields=False`: the transfers' fields were checked as
    they were read (parse), only duplicates are left to find."""
    xml.identifier(run.msg_id, "message ID")
    xml.text(run.debtor_name, "debtor name")
    xml.identifier(run.debtor_account, "debtor account", 34)
    xml.identifier(run.debtor_bank_code, "debtor bank code")
    if not run.transfers:
        raise MessageError("a payment run needs at least one transfer")
    seen: set[str] = set()
    for t in run.transfers:
        e2e = xml.identifier(t.end_to_end_id, "end-to-end ID")
        if e2e in seen:
            raise MessageError(f"duplicate end-to-end ID {e2e!r}")
        seen.add(e2e)
        if not fields:
            continue
        xml.amount(t.amount, f"transaction {e2e}")
        xml.text(t.creditor_name, f"transaction {e2e}: creditor name")
        xml.identifier(t.creditor_account, f"transaction {e2e}: creditor account", 34)
        xml.identifier(t.creditor_bank_code, f"transaction {e2e}: creditor bank code")
        xml.text(t.remittance, f"transaction {e2e}: remittance information")


def _account(number: str, currency: str | None = None) -> CashAccount38:
    return CashAccount38(
        id=AccountIdentification4Choice(othr=GenericAccountIdentification1(id=number)),
        ccy=currency,
    )


def _agent(bank_code: str) -> BranchAndFinancialInstitutionIdentification6:
    return BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=FinancialInstitutionIdentification18(
            clr_sys_mmb_id=ClearingSystemMemberIdentification2(
                clr_sys_id=ClearingSystemIdentification2Choice(cd=CLEARING_SYSTEM),
                mmb_id=bank_code,
            )
        )
    )


def _transaction(t: CreditTransfer) -> CreditTransferTransaction34:
    return CreditTransferTransaction34(
        pmt_id=PaymentIdentification6(end_to_end_id=t.end_to_end_id),
        amt=AmountType4Choice(
            instd_amt=ActiveOrHistoricCurrencyAndAmount(value=xml.money(t.amount), ccy=xml.CURRENCY)
        ),
        cdtr_agt=_agent(t.creditor_bank_code),
        cdtr=PartyIdentification135(nm=t.creditor_name),
        cdtr_acct=_account(t.creditor_account),
        rmt_inf=RemittanceInformation16(ustrd=[t.remittance]) if t.remittance else None,
    )


def _account_id(account: CashAccount38 | None, what: str) -> str:
    other = account.id.othr if account is not None else None
    if other is None:
        raise MessageError(f"{what}: Id/Othr/Id is missing (only domestic account numbers)")
    if account is not None and account.ccy not in (None, xml.CURRENCY):
        xml.currency(account.ccy, what)
    return xml.identifier(other.id, what, 34)


def _member_id(agent: BranchAndFinancialInstitutionIdentification6 | None, what: str) -> str:
    member = agent.fin_instn_id.clr_sys_mmb_id if agent is not None else None
    if member is None:
        raise MessageError(f"{what}: ClrSysMmbId (CNAPS bank code) is missing")
    return xml.identifier(member.mmb_id, f"{what} bank code")
