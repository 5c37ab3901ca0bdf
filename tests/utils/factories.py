"""Small factories for test data: valid identity numbers, USCCs, reports, registrations."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from stdnum.cn import ric

from payloads.submissions import BankAccount, EmployerReport, Registration

_seq = itertools.count(1)
USCC = "91110000600037341L"  # a valid unified social credit code (checked in domain tests)


def national_id(
    prefix: str = "220102", birth: date = date(1985, 6, 15), sex: str | None = None
) -> str:
    """A fresh valid 18-character resident identity number (GB 11643 check digit); ``sex``
    "male" or "female" sets the 17th digit's parity (odd for men)."""
    n = next(_seq) % 1000
    if sex is not None and n % 2 != (sex == "male"):
        n = next(_seq) % 1000
    body = f"{prefix}{birth:%Y%m%d}{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def national_id_of(sex: str, birth: date, prefix: str = "220102") -> str:
    """A fresh valid identity number of a "man" or a "woman" (the 17th digit: odd for men)."""
    while True:
        nid = national_id(prefix, birth)
        if (int(nid[16]) % 2 == 1) == (sex == "man"):
            return nid


def employer_report(nid: str, separation: date, **over: Any) -> EmployerReport:
    values: dict[str, Any] = dict(
        uscc=USCC,
        employer_name="长春示例机械有限公司",
        national_id=nid,
        claimant_name="刘测试",
        region_code="220100",
        separation_date=separation,
        notice_date=separation,
        reason_code="contract_expired",
        contribution_months=72,
        claimant_phone="13800000000",
        claimant_email="claimant@example.test",
        employer_email="hr@example.test",
    )
    values.update(over)
    return EmployerReport(**values)


def registration(nid: str, separation: date, **over: Any) -> Registration:
    values: dict[str, Any] = dict(
        national_id=nid,
        name="刘测试",
        region_code="220100",
        separation_date=separation,
        seeking_work=True,
        notice_date=separation,
        phone="13800000000",
        email="claimant@example.test",
        bank_account=BankAccount("ICBC", "6222020200112233446", "刘测试"),
        employer_email="hr@example.test",
        employer_name="长春示例机械有限公司",
    )
    values.update(over)
    return Registration(**values)


def employer_report_json(nid: str, separation: date, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employer": {"uscc": USCC, "name": "长春示例机械有限公司", "email": "hr@example.test"},
        "claimant": {"national_id": nid, "name": "刘测试", "phone": "13800000000"},
        "region_code": "220100",
        "separation_date": separation.isoformat(),
        "notice_date": separation.isoformat(),
        "reason_code": "contract_expired",
        "contribution_months": 72,
    }
    body.update(over)
    return body


def registration_json(nid: str, separation: date, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "national_id": nid,
        "name": "刘测试",
        "phone": "13800000000",
        "region_code": "220100",
        "separation_date": separation.isoformat(),
        "notice_date": separation.isoformat(),
        "bank_account": {
            "bank_code": "ICBC",
            "account_number": "6222020200112233446",
            "account_name": "刘测试",
        },
        "seeking_work": True,
    }
    body.update(over)
    return body


def days(n: int) -> timedelta:
    return timedelta(days=n)
