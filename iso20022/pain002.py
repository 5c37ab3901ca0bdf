"""pain.002.001.10 customer payment status report: the bank's answer per transaction.

Statuses used: ACCP (accepted, not yet settled), ACSC (settled on the creditor's account),
RJCT (rejected or returned, with an ISO reason code: AC01 incorrect account number,
AC04 closed account, AC06 blocked account, DU05 duplicate transaction, …), PDNG (pending).
A settlement or return carries the bank's booking time in `AccptncDtTm` (pain.002.001.10
has no settlement date per transaction), written in the bank's offset (+08:00).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, cast, get_args

from lxml import etree
from pyiso20022.pain.pain_002_001_10 import (
    CustomerPaymentStatusReportV10,
    Document,
    GroupHeader86,
    NumberOfTransactionsPerStatus5,
    OriginalGroupHeader17,
    OriginalPaymentInstruction32,
    PaymentTransaction105,
    StatusReason6Choice,
    StatusReasonInformation12,
)
from xsdata.models.datatype import XmlDateTime

from iso20022 import xml
from iso20022.errors import MessageError
from iso20022.pain001 import MESSAGE_NAME as PAIN001_NAME

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
MESSAGE_NAME = "pain.002.001.10"

Status = Literal["ACCP", "ACSC", "RJCT", "PDNG"]
STATUSES: tuple[str, ...] = get_args(Status)


@dataclass
class TransactionStatus:
    end_to_end_id: str
    status: Status
    reason: str | None = None
    # when the bank booked a settlement or return (AccptncDtTm, in the bank's own offset):
    # its date there is the booking date of the camt.053 entry
    booked_at: datetime | None = None


@dataclass
class StatusReport:
    msg_id: str
    created_at: datetime
    original_msg_id: str
    statuses: list[TransactionStatus] = field(default_factory=list)


def build_pain002(report: StatusReport) -> bytes:
    """The report as pain.002 XML (one original payment information block: the message)."""
    xml.identifier(report.msg_id, "message ID")
    xml.identifier(report.original_msg_id, "original message ID")
    for s in report.statuses:
        _check_status(s.end_to_end_id, s.status, s.reason)
    per_status: Counter[str] = Counter(s.status for s in report.statuses)
    document = Document(
        cstmr_pmt_sts_rpt=CustomerPaymentStatusReportV10(
            grp_hdr=GroupHeader86(
                msg_id=report.msg_id, cre_dt_tm=xml.xml_datetime(report.created_at)
            ),
            orgnl_grp_inf_and_sts=OriginalGroupHeader17(
                orgnl_msg_id=report.original_msg_id,
                orgnl_msg_nm_id=PAIN001_NAME,
                grp_sts=_group_status(per_status),
                nb_of_txs_per_sts=[
                    NumberOfTransactionsPerStatus5(dtld_nb_of_txs=str(n), dtld_sts=status)
                    for status, n in sorted(per_status.items())
                ],
            ),
            orgnl_pmt_inf_and_sts=[
                OriginalPaymentInstruction32(
                    orgnl_pmt_inf_id=report.original_msg_id,
                    tx_inf_and_sts=[_transaction(s) for s in report.statuses[:1]],
                )
            ],
        )
    )
    rendered = xml.to_xml(document, NAMESPACE)
    if len(report.statuses) <= 1:
        return rendered
    rest = report.statuses[1:]  # appended with lxml: the same elements, in the same order

    def append_rest(block: etree._Element) -> None:
        sub = etree.SubElement
        for st in rest:
            tx = sub(block, TX)
            sub(tx, _q("OrgnlEndToEndId")).text = st.end_to_end_id
            sub(tx, _q("TxSts")).text = st.status
            if st.reason:
                sub(sub(sub(tx, _q("StsRsnInf")), _q("Rsn")), _q("Cd")).text = st.reason
            if st.booked_at is not None:
                sub(tx, _q("AccptncDtTm")).text = str(xml.xml_datetime(st.booked_at))

    return xml.extended(rendered, _q("OrgnlPmtInfAndSts"), append_rest)


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


TX = _q("TxInfAndSts")
_READ = {_q(n): n for n in ("OrgnlEndToEndId", "TxSts", "Cd", "Prtry", "AccptncDtTm")}
_ALLOWED = {TX, _q("StsRsnInf"), _q("Rsn"), *_READ}


def parse_pain002(data: bytes) -> StatusReport:
    """Read a pain.002; MessageError when malformed or naming an unknown status. The
    transactions are read with lxml as they are parsed; the rest (with the first
    transaction) is bound and checked by the library's bindings."""
    events = xml.iterparse(data, TX, MESSAGE_NAME)
    statuses: list[TransactionStatus] = []
    try:
        for _, element in events:
            statuses.append(_read(element, len(statuses) + 1))
            if len(statuses) > 1:
                parent = element.getparent()
                assert parent is not None
                parent.remove(element)
    except etree.XMLSyntaxError as exc:
        raise MessageError(f"malformed XML: {exc}") from None
    document = xml.from_tree(events.root, NAMESPACE, Document, MESSAGE_NAME)
    body = document.cstmr_pmt_sts_rpt
    return StatusReport(
        msg_id=xml.identifier(body.grp_hdr.msg_id, "message ID"),
        created_at=xml.py_datetime(body.grp_hdr.cre_dt_tm, "creation time"),
        original_msg_id=xml.identifier(body.orgnl_grp_inf_and_sts.orgnl_msg_id, "original ID"),
        statuses=statuses,
    )


def _read(tx: etree._Element, index: int) -> TransactionStatus:
    values: dict[str, str | None] = {}
    for element in tx.iter():
        if element.tag not in _ALLOWED:
            name = etree.QName(element).localname if isinstance(element.tag, str) else "?"
            raise MessageError(f"not a valid {MESSAGE_NAME} message: unknown element {name}")
        name = _READ.get(element.tag)
        if name is not None and name not in values:
            values[name] = element.text
    e2e = xml.identifier(values.get("OrgnlEndToEndId"), "original end-to-end ID")
    status = _check_status(e2e, values.get("TxSts"), values.get("Cd") or values.get("Prtry"))
    booked = values.get("AccptncDtTm")
    if booked is not None:
        try:
            status.booked_at = xml.py_datetime(XmlDateTime.from_string(booked), "AccptncDtTm")
        except ValueError:
            raise MessageError(f"transaction {e2e}: AccptncDtTm {booked!r} is not a time") from None
    return status


def _check_status(e2e: str, status: str | None, reason: str | None) -> TransactionStatus:
    xml.identifier(e2e, "end-to-end ID")
    if status not in STATUSES:
        raise MessageError(f"transaction {e2e}: status {status!r} is not one of {STATUSES}")
    if reason is not None and not 1 <= len(reason) <= 4:
        raise MessageError(f"transaction {e2e}: reason code {reason!r} is not 1-4 characters")
    return TransactionStatus(end_to_end_id=e2e, status=cast(Status, status), reason=reason)


def _group_status(per_status: Counter[str]) -> str | None:
    if not per_status:
        return None
    if len(per_status) == 1:
        return next(iter(per_status))
    return "PART"  # some transactions in one status, some in another


def _transaction(s: TransactionStatus) -> PaymentTransaction105:
    reasons = [StatusReasonInformation12(rsn=StatusReason6Choice(cd=s.reason))] if s.reason else []
    return PaymentTransaction105(
        orgnl_end_to_end_id=s.end_to_end_id,
        tx_sts=s.status,
        sts_rsn_inf=reasons,
        accptnc_dt_tm=xml.xml_datetime(s.booked_at) if s.booked_at is not None else None,
    )
