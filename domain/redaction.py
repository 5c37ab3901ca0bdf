"""What the journal keeps of a bank account: its last four digits and the bank code, never
the full number (issue 13: audit data, task results and case events are read by every
staff role; the full account stays only in the payment ledger, which pays it)."""

from __future__ import annotations

from typing import Any

TAIL_DIGITS = 4


def tail_digits(number: str) -> str:
    """The last four digits of an account number (the whole of a shorter one is not kept)."""
    digits = "".join(ch for ch in str(number) if ch.isalnum())
    return digits[-TAIL_DIGITS:] if len(digits) > TAIL_DIGITS else ""


def redact_accounts(data: Any) -> Any:
    """A copy of `data` (JSON-like) with every `account_number` replaced by `account_tail`,
    at any depth; everything else as it was."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key == "account_number":
                out["account_tail"] = tail_digits(value) if value else None
            else:
                out[key] = redact_accounts(value)
        return out
    if isinstance(data, list | tuple):
        return [redact_accounts(v) for v in data]
    return data
