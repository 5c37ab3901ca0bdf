"""Helpers for the bank tests: a recording webhook receiver, polling, payment runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bank.config import DEFAULT_ACCOUNT
from iso20022 import CreditTransfer, PaymentRun

SECRET = "test-webhook-secret"
START = datetime(2024, 1, 15, 1, 0, tzinfo=UTC)  # 09:00 in China
GOOD_ACCOUNTS = ["6222020200001234562", "6222020200001234570", "6222020200001234588"]
BAD_LUHN = "6222020200001234561"


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    """Our side's webhook as the bank sees it: records every POST, answers `status`."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # answered in turn, then 204
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 204


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll until `check()` is truthy; fail with its last value after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met; last value {value!r}")
        time.sleep(0.02)


def make_run(msg_id: str, *accounts: str, amount: str = "755.00", e2e: str = "") -> PaymentRun:
    accounts = accounts or tuple(GOOD_ACCOUNTS[:2])
    prefix = e2e or msg_id
    return PaymentRun(
        msg_id=msg_id,
        created_at=START,
        execution_date=date(2024, 1, 15),
        debtor_name="长春市社会保险事业管理局",
        debtor_account=DEFAULT_ACCOUNT,
        debtor_bank_code="105241000017",
        transfers=[
            CreditTransfer(
                end_to_end_id=f"{prefix}-{i}",
                amount=Decimal(amount),
                creditor_name=f"领取人{i}",
                creditor_account=account,
                creditor_bank_code="102241000010",
                remittance="失业保险金 2024-01",
            )
            for i, account in enumerate(accounts, 1)
        ],
    )
