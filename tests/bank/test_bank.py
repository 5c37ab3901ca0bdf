"""The simulated bank over real HTTP: acceptance, settlement on its clock, signed webhooks,
returns, duplicates, test modes, polling (issue 4, ARCHITECTURE.md: Money and the bank)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from bank.clock import ManualClock
from bank.config import BankConfig
from bank.testing import RunningBank, serve_bank
from iso20022 import build_pain001, camt053, parse_camt053, parse_camt053_days, parse_pain002
from iso20022.bank_signature import BadSignature, check
from iso20022.pain002 import TransactionStatus
from tests.bank.helpers import (
    BAD_LUHN,
    GOOD_ACCOUNTS,
    SECRET,
    START,
    WebhookReceiver,
    eventually,
    make_run,
)

DAY = timedelta(hours=24)


def submit(http: httpx.Client, xml: bytes) -> httpx.Response:
    return http.post("/pain001", content=xml, headers={"Content-Type": "application/xml"})


def statuses(xml: bytes) -> dict[str, tuple[str, str | None]]:
    return {s.end_to_end_id: (s.status, s.reason) for s in parse_pain002(xml).statuses}


def webhook_statuses(receiver: WebhookReceiver) -> list[TransactionStatus]:
    return [s for r in receiver.received for s in parse_pain002(r.body).statuses]


def test_accepts_then_settles_after_the_delay_and_sends_a_signed_webhook(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    resp = submit(http, build_pain001(make_run("RUN-1")))
    assert resp.status_code == 202, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    assert statuses(resp.content) == {"RUN-1-1": ("ACCP", None), "RUN-1-2": ("ACCP", None)}
    assert parse_pain002(resp.content).original_msg_id == "RUN-1"

    clock.advance(DAY - timedelta(minutes=1))
    assert http.post("/admin/settle").json() == {"settled": 0}
    assert {t["status"] for t in http.get("/admin/transactions").json()} == {"ACCP"}
    assert receiver.received == []

    clock.advance(timedelta(minutes=1))
    eventually(lambda: len(webhook_statuses(receiver)) == 2)
    hook = receiver.received[0]
    sent_at = check(hook.body, SECRET, hook.headers, START + DAY, 300)
    assert sent_at == (START + DAY).replace(microsecond=0)  # the bank's clock, signed
    with pytest.raises(BadSignature):
        check(hook.body, "another-secret", hook.headers, START + DAY, 300)
    # every answer is signed the same way: the acceptance, a polled status, a statement
    assert check(resp.content, SECRET, resp.headers, START, 300) == START  # the acceptance
    for answer in (http.get("/status/RUN-1"), http.get(f"/statements/{date(2024, 1, 16)}")):
        assert check(answer.content, SECRET, answer.headers, START + DAY, 300)
    report = parse_pain002(hook.body)
    assert report.original_msg_id == "RUN-1"
    assert hook.headers["X-Bank-Message-Id"] == report.msg_id
    assert statuses(hook.body) == {"RUN-1-1": ("ACSC", None), "RUN-1-2": ("ACSC", None)}
    rows = http.get("/admin/transactions", params={"msg_id": "RUN-1"}).json()
    assert [(r["status"], r["booking_date"]) for r in rows] == [("ACSC", "2024-01-16")] * 2


def test_a_duplicate_message_id_is_refused_and_never_paid_twice(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    xml = build_pain001(make_run("RUN-DUP"))
    first = submit(http, xml)
    assert first.status_code == 202

    again = submit(http, xml)
    assert again.status_code == 409
    body = again.json()
    assert "duplicate" in body["detail"]
    assert body["msg_id"] == "RUN-DUP" and body["same_content"] is True
    assert body["acceptance"].encode() == first.content  # the original acceptance, as sent
    assert check(again.content, SECRET, again.headers, START, 300) == START  # signed too

    changed = submit(http, build_pain001(make_run("RUN-DUP", GOOD_ACCOUNTS[2])))
    assert changed.status_code == 409 and changed.json()["same_content"] is False

    clock.advance(DAY)
    eventually(lambda: len(webhook_statuses(receiver)) == 2)
    assert len(http.get("/admin/transactions").json()) == 2
    assert http.post("/admin/settle").json() == {"settled": 0}
    assert sorted(s.end_to_end_id for s in webhook_statuses(receiver)) == ["RUN-DUP-1", "RUN-DUP-2"]


def test_a_resent_end_to_end_id_in_a_new_message_is_rejected_du05(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    assert submit(http, build_pain001(make_run("RUN-A", e2e="PAY"))).status_code == 202
    resent = submit(http, build_pain001(make_run("RUN-B", *GOOD_ACCOUNTS, e2e="PAY")))
    assert resent.status_code == 202
    assert statuses(resent.content) == {
        "PAY-1": ("RJCT", "DU05"),
        "PAY-2": ("RJCT", "DU05"),
        "PAY-3": ("ACCP", None),
    }
    clock.advance(DAY)
    eventually(lambda: len(webhook_statuses(receiver)) == 3)
    settled = [(r["msg_id"], r["end_to_end_id"], r["status"]) for r in _rows(http, "ACSC")]
    assert settled == [
        ("RUN-A", "PAY-1", "ACSC"),
        ("RUN-A", "PAY-2", "ACSC"),
        ("RUN-B", "PAY-3", "ACSC"),
    ]
    assert statuses(http.get("/status/RUN-B").content)["PAY-1"] == ("RJCT", "DU05")


def test_closed_and_invalid_accounts_are_returned_ac04_and_ac01(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    closed = GOOD_ACCOUNTS[1]
    mode = http.post("/admin/mode", json={"closed_accounts": [closed]}).json()
    assert mode["closed_accounts"] == [closed]
    run = make_run("RUN-RET", GOOD_ACCOUNTS[0], closed, BAD_LUHN, "62220202ABC")
    assert submit(http, build_pain001(run)).status_code == 202
    clock.advance(DAY)
    eventually(lambda: len(webhook_statuses(receiver)) == 4)
    assert {s.end_to_end_id: (s.status, s.reason) for s in webhook_statuses(receiver)} == {
        "RUN-RET-1": ("ACSC", None),
        "RUN-RET-2": ("RJCT", "AC04"),
        "RUN-RET-3": ("RJCT", "AC01"),
        "RUN-RET-4": ("RJCT", "AC01"),
    }


def test_accounts_closed_in_the_configuration_are_returned(
    bank_config: BankConfig, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    bank_config.closed_accounts = frozenset({GOOD_ACCOUNTS[0]})
    bank_config.blocked_accounts = frozenset({GOOD_ACCOUNTS[1]})
    with serve_bank(bank_config, clock) as running, httpx.Client(base_url=running.url) as http:
        assert submit(http, build_pain001(make_run("RUN-CFG"))).status_code == 202
        clock.advance(DAY)
        report = statuses(http.get("/status/RUN-CFG").content)
    assert report == {"RUN-CFG-1": ("RJCT", "AC04"), "RUN-CFG-2": ("RJCT", "AC06")}


def test_polling_status_follows_settlement(http: httpx.Client, clock: ManualClock) -> None:
    assert http.get("/status/NOPE").status_code == 404
    submit(http, build_pain001(make_run("RUN-POLL", GOOD_ACCOUNTS[0], BAD_LUHN)))
    before = http.get("/status/RUN-POLL")
    assert before.status_code == 200
    assert statuses(before.content) == {"RUN-POLL-1": ("ACCP", None), "RUN-POLL-2": ("ACCP", None)}
    clock.advance(DAY)
    after = statuses(http.get("/status/RUN-POLL").content)  # no waiting for the loop
    assert after == {"RUN-POLL-1": ("ACSC", None), "RUN-POLL-2": ("RJCT", "AC01")}


def test_malformed_messages_are_refused_with_the_reason(http: httpx.Client) -> None:
    resp = submit(http, b"<Document><CstmrCdtTrfInitn>")
    assert resp.status_code == 400
    assert "malformed XML" in resp.json()["detail"]
    bad_sum = build_pain001(make_run("RUN-BAD")).replace(b"<CtrlSum>1510.00", b"<CtrlSum>1.00")
    resp = submit(http, bad_sum)
    assert resp.status_code == 400 and "CtrlSum" in resp.json()["detail"]
    assert http.get("/admin/transactions").json() == []


def test_down_answers_503_except_admin_and_recovers(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    submit(http, build_pain001(make_run("RUN-DOWN")))
    assert http.post("/admin/mode", json={"down": True}).json()["down"] is True
    assert submit(http, build_pain001(make_run("RUN-LATER"))).status_code == 503
    assert http.get("/status/RUN-DOWN").status_code == 503
    assert http.get("/statements/2024-01-15").status_code == 503
    assert http.get("/health").status_code == 503
    assert http.get("/admin/mode").status_code == 200
    clock.advance(DAY)
    assert http.get("/admin/webhooks").json() == []  # a bank that is down settles nothing

    http.post("/admin/mode", json={"down": False})
    assert http.get("/health").status_code == 200
    assert submit(http, build_pain001(make_run("RUN-LATER"))).status_code == 202
    eventually(lambda: len(webhook_statuses(receiver)) == 2)


def test_hold_answers_but_settles_and_sends_nothing_until_lifted(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    submit(http, build_pain001(make_run("RUN-HOLD")))
    assert http.post("/admin/mode", json={"hold": True}).json()["hold"] is True
    clock.advance(DAY)
    assert http.get("/health").status_code == 200
    assert http.get("/statements/2024-01-15").status_code == 200
    assert http.post("/admin/settle").json() == {"settled": 0}
    assert receiver.received == []  # nothing settled, nothing sent

    http.post("/admin/mode", json={"hold": False})
    eventually(lambda: len(webhook_statuses(receiver)) == 2)
    assert {s.status for s in webhook_statuses(receiver)} == {"ACSC"}


def test_answer_twice_sends_each_webhook_twice_identically(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    http.post("/admin/mode", json={"answer_twice": True})
    submit(http, build_pain001(make_run("RUN-TWICE")))
    clock.advance(DAY)
    eventually(lambda: len(receiver.received) == 2)
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["X-Bank-Signature"] == second.headers["X-Bank-Signature"]
    # the bank counts the second send after our side has answered it: wait for the count
    assert eventually(lambda: [h for h in http.get("/admin/webhooks").json() if h["sends"] == 2])


def test_slow_mode_delays_answers_but_still_answers(http: httpx.Client, bank: RunningBank) -> None:
    http.post("/admin/mode", json={"slow_ms": 500})
    with httpx.Client(base_url=bank.url, timeout=0.05) as impatient:
        try:
            impatient.get("/health")
        except httpx.TimeoutException:
            pass
        else:
            raise AssertionError("a client that waits less than slow_ms should time out")
    assert http.get("/health").status_code == 200
    assert http.post("/admin/mode", json={"slow_ms": 0}).json()["slow_ms"] == 0


def test_webhooks_are_retried_until_our_side_answers(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    receiver.answers = [503, 503, 500]
    submit(http, build_pain001(make_run("RUN-RETRY")))
    clock.advance(DAY)
    eventually(lambda: len(receiver.received) == 1)
    hook = eventually(lambda: [h for h in http.get("/admin/webhooks").json() if h["delivered"]])
    assert hook[0]["failed_attempts"] == 3 and hook[0]["sends"] == 4


def test_statement_balances_add_up_day_by_day(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    submit(http, build_pain001(make_run("RUN-D1", GOOD_ACCOUNTS[0], BAD_LUHN, amount="755.00")))
    clock.advance(DAY)  # booked 2024-01-16
    submit(http, build_pain001(make_run("RUN-D2", *GOOD_ACCOUNTS[:2], amount="574.00")))
    clock.advance(DAY)  # booked 2024-01-17

    day1 = parse_camt053(http.get("/statements/2024-01-16").content)
    assert day1.opening_balance == 10000 and day1.closing_balance == 10000 - 755
    assert [(e.end_to_end_id, e.credit_debit, e.return_reason) for e in day1.entries] == [
        ("RUN-D1-1", "DBIT", None),
        ("RUN-D1-2", "DBIT", None),
        ("RUN-D1-2", "CRDT", "AC01"),
    ]
    day2 = parse_camt053(http.get("/statements/2024-01-17").content)
    assert day2.opening_balance == day1.closing_balance
    assert day2.closing_balance == day1.closing_balance - 2 * 574
    quiet = parse_camt053(http.get("/statements/2024-01-15").content)
    assert quiet.entries == [] and quiet.opening_balance == quiet.closing_balance == 10000
    assert http.get("/statements/2024-01-18").status_code == 404  # not begun on the bank clock
    other = parse_camt053(http.get("/statements/2024-01-16", params={"account": "999"}).content)
    assert other.account == "999" and other.entries == []


def _no_bindings(*_args: object) -> None:
    raise AssertionError("the bank's camt.053 was read through the bindings")


def test_a_range_of_days_is_one_signed_camt053_with_each_day_as_its_own_statement(
    http: httpx.Client,
    clock: ManualClock,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GET /statements/{first}/{last}: a statement per day, each the same as the day's own
    (entries, balances, statement ID), under one message ID and one signature; read without
    the library's bindings (the bank writes what iso20022/camt053.py reads directly)."""
    monkeypatch.setattr(camt053.xml, "from_xml", _no_bindings)
    submit(http, build_pain001(make_run("RUN-R1", GOOD_ACCOUNTS[0], BAD_LUHN, amount="755.00")))
    clock.advance(DAY)  # booked 2024-01-16
    submit(http, build_pain001(make_run("RUN-R2", *GOOD_ACCOUNTS[:2], amount="574.00")))
    clock.advance(DAY)  # booked 2024-01-17
    first, last = date(2024, 1, 15), date(2024, 1, 17)

    answer = http.get(f"/statements/{first}/{last}")
    assert answer.status_code == 200, answer.text
    check(answer.content, SECRET, answer.headers, START + 2 * DAY, 300)  # one signature
    days = parse_camt053_days(answer.content, first, last)
    assert [d.statement_date for d in days] == [first, date(2024, 1, 16), last]
    assert len({d.msg_id for d in days}) == 1  # one message ID: one nonce for the range
    for d in days:
        own = parse_camt053(http.get(f"/statements/{d.statement_date}").content)
        assert d.msg_id != own.msg_id
        same = ("statement_id", "statement_date", "opening_balance", "closing_balance", "entries")
        assert [getattr(d, f) for f in same] == [getattr(own, f) for f in same]
    assert days[1].opening_balance == days[0].closing_balance == 10000
    assert days[2].opening_balance == days[1].closing_balance == 10000 - 755

    one = parse_camt053(http.get(f"/statements/{last}/{last}").content)  # one day: as its own
    assert one.statement_date == last and len(one.entries) == 2
    assert http.get(f"/statements/{first}/{date(2024, 1, 18)}").status_code == 404  # not begun
    assert http.get(f"/statements/{last}/{first}").status_code == 400  # backwards
    assert http.get(f"/statements/{first}/{first + 92 * DAY}").status_code == 400  # too long


def test_a_restarted_bank_remembers_what_it_accepted(
    bank_config: BankConfig, clock: ManualClock
) -> None:
    xml = build_pain001(make_run("RUN-CRASH"))
    with serve_bank(bank_config, clock) as running, httpx.Client(base_url=running.url) as http:
        assert submit(http, xml).status_code == 202
    with serve_bank(bank_config, clock) as running, httpx.Client(base_url=running.url) as http:
        assert submit(http, xml).status_code == 409
        clock.advance(DAY)
        assert statuses(http.get("/status/RUN-CRASH").content)["RUN-CRASH-1"] == ("ACSC", None)
        assert len(http.get("/admin/transactions").json()) == 2


def _rows(http: httpx.Client, status: str) -> list[dict[str, str]]:
    return [r for r in http.get("/admin/transactions").json() if r["status"] == status]


def test_a_settlement_booked_before_midnight_reports_its_booking_time_after_it(
    http: httpx.Client, clock: ManualClock, receiver: WebhookReceiver
) -> None:
    """Due 23:50 China time, reported at 00:10: the pain.002 carries the booking time
    (AccptncDtTm), whose date is the camt.053 booking date, not the day it was reported."""
    clock.advance(timedelta(hours=14, minutes=50))  # 2024-01-15 23:50 in China
    submit(http, build_pain001(make_run("RUN-M", GOOD_ACCOUNTS[0], BAD_LUHN)))
    clock.advance(DAY + timedelta(minutes=20))  # 2024-01-17 00:10 in China
    eventually(lambda: len(webhook_statuses(receiver)) == 2)
    booked = {s.end_to_end_id: s.booked_at for s in webhook_statuses(receiver)}
    assert {str(at) for at in booked.values()} == {"2024-01-16 23:50:00+08:00"}
    polled = parse_pain002(http.get("/status/RUN-M").content).statuses
    assert {s.booked_at for s in polled} == set(booked.values())
    day = parse_camt053(http.get("/statements/2024-01-16").content)
    assert [(e.end_to_end_id, e.credit_debit) for e in day.entries] == [
        ("RUN-M-1", "DBIT"),
        ("RUN-M-2", "DBIT"),
        ("RUN-M-2", "CRDT"),
    ]
    assert {e.booking_date for e in day.entries} == {date(2024, 1, 16)}
    assert parse_camt053(http.get("/statements/2024-01-17").content).entries == []
