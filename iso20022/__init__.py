"""ISO 20022 messages between the agency and its paying bank, built on `pyiso20022`.

Our side uses the plain dataclasses of each module (Decimal amounts in yuan with 2
places, currency CNY); `build_*` renders them as XML with xsdata, `parse_*` reads and
checks XML and raises `MessageError` with a plain reason when it is not acceptable.
"""

from iso20022.camt053 import (
    Statement,
    StatementEntry,
    build_camt053,
    build_camt053_days,
    parse_camt053,
    parse_camt053_days,
)
from iso20022.errors import MessageError
from iso20022.pain001 import CreditTransfer, PaymentRun, build_pain001, parse_pain001
from iso20022.pain002 import StatusReport, TransactionStatus, build_pain002, parse_pain002
from iso20022.signing import sign, verify

__all__ = [
    "CreditTransfer",
    "MessageError",
    "PaymentRun",
    "Statement",
    "StatementEntry",
    "StatusReport",
    "TransactionStatus",
    "build_camt053",
    "build_camt053_days",
    "build_pain001",
    "build_pain002",
    "parse_camt053",
    "parse_camt053_days",
    "parse_pain001",
    "parse_pain002",
    "sign",
    "verify",
]
