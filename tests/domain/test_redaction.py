"""The journal keeps an account's tail, never the number (issue 13 §2; DOMAIN.md
"Identifiers": personal identifiers shown masked)."""

from __future__ import annotations

from domain.redaction import redact_accounts, tail_digits


def test_tail_is_the_last_four_digits_and_a_short_number_is_not_kept() -> None:
    """Issue 13 §2: only the last 4 digits of a bank account are stored outside the ledger."""
    assert tail_digits("6222020200112233446") == "3446"
    assert tail_digits("6222 0202 0011 2233 446") == "3446"
    assert tail_digits("3446") == ""


def test_every_account_number_at_any_depth_becomes_its_tail_the_rest_unchanged() -> None:
    """Issue 13 §2: task results, audit data and case events keep bank code and tail only."""
    account = {
        "bank_code": "ICBC",
        "account_number": "6222020200112233446",
        "account_name": "刘测试",
    }
    data = {
        "outcome": "reissue",
        "bank_account": account,
        "history": [{"account_number": "6222020200998877665"}, {"account_number": None}],
        "months": 3,
    }
    out = redact_accounts(data)
    assert out == {
        "outcome": "reissue",
        "bank_account": {"bank_code": "ICBC", "account_tail": "3446", "account_name": "刘测试"},
        "history": [{"account_tail": "7665"}, {"account_tail": None}],
        "months": 3,
    }
    assert "6222020200112233446" not in repr(out)
    assert account["account_number"] == "6222020200112233446"  # not changed
