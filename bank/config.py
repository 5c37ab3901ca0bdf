"""The bank's settings, read from the environment (it shares no settings with the system)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

# The UI fund's account (simulated): the same default as FUND_ACCOUNT_NUMBER in core/settings.py.
DEFAULT_ACCOUNT = "0000000000000000001"


@dataclass
class BankConfig:
    db_path: Path = Path("data/bank.db")
    webhook_url: str = ""  # where pain.002 status reports go; empty: polling only
    # signs every answer (pushed or polled): the same default as BANK_WEBHOOK_SECRET in
    # core/settings.py (development only; production refuses it there)
    webhook_secret: str = "dev-only-bank-webhook-secret"
    settle_hours: float = 24.0  # from acceptance to settlement, on the bank's clock
    clock: str = "real"  # "real" or "temporal:<host:port>" (the time-skipping test server)
    account: str = DEFAULT_ACCOUNT  # the account statements are for unless asked otherwise
    opening_balance: Decimal = Decimal("100000000.00")  # the account's balance before day 1
    closed_accounts: frozenset[str] = field(default_factory=frozenset)  # returned with AC04
    blocked_accounts: frozenset[str] = field(default_factory=frozenset)  # returned with AC06
    tick_seconds: float = 0.5  # how often the settlement loop looks at the clock (real time)
    webhook_batch: int = 10_000  # transactions per webhook pain.002
    retry_base_seconds: float = 0.5  # webhook retry backoff: base * 2**attempt, capped
    retry_max_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not self.webhook_secret:
            raise ValueError("BANK_WEBHOOK_SECRET must be set: the bank signs every answer")
        if self.clock != "real" and not self.clock.startswith("temporal:"):
            raise ValueError(f"BANK_CLOCK must be 'real' or 'temporal:<address>': {self.clock!r}")
        if self.settle_hours < 0:
            raise ValueError("BANK_SETTLE_HOURS must not be negative")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> BankConfig:
        """BANK_DB (default DATA_DIR/bank.db), WEBHOOK_URL, BANK_WEBHOOK_SECRET,
        BANK_SETTLE_HOURS, BANK_CLOCK, BANK_ACCOUNT, BANK_OPENING_BALANCE,
        BANK_CLOSED_ACCOUNTS and BANK_BLOCKED_ACCOUNTS (comma-separated)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR", "data"))
        values: dict[str, object] = {
            "db_path": Path(env.get("BANK_DB") or data_dir / "bank.db"),
            "webhook_url": env.get("WEBHOOK_URL", ""),
            "webhook_secret": env.get("BANK_WEBHOOK_SECRET") or "dev-only-bank-webhook-secret",
            "settle_hours": float(env.get("BANK_SETTLE_HOURS", "24")),
            "clock": env.get("BANK_CLOCK", "real"),
            "account": env.get("BANK_ACCOUNT") or DEFAULT_ACCOUNT,
            "opening_balance": Decimal(env.get("BANK_OPENING_BALANCE", "100000000.00")),
            "closed_accounts": _accounts(env.get("BANK_CLOSED_ACCOUNTS", "")),
            "blocked_accounts": _accounts(env.get("BANK_BLOCKED_ACCOUNTS", "")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def _accounts(value: str) -> frozenset[str]:
    return frozenset(a.strip() for a in value.split(",") if a.strip())
