"""The agency's settings, read from the environment (it shares no settings with the system)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass
class AgencyConfig:
    db_path: Path = Path("data/medagency.db")
    webhook_url: str = ""  # where late answers go; empty: answered on request only
    webhook_secret: str = ""
    clock: str = "real"  # "real" or "temporal:<host:port>" (the time-skipping test server)
    answer_hours: float = 0.0  # answers ready this long after receipt (0: in the POST's answer)
    tick_seconds: float = 0.5  # how often the processing loop looks at the clock (real time)
    retry_base_seconds: float = 0.5  # webhook retry backoff: base * 2**attempt, capped
    retry_max_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("MEDAGENCY_WEBHOOK_SECRET must be set when MEDAGENCY_WEBHOOK_URL is")
        if self.clock != "real" and not (
            self.clock.startswith("temporal:") and self.clock.removeprefix("temporal:")
        ):
            raise ValueError(
                f"MEDAGENCY_CLOCK must be 'real' or 'temporal:<address>': {self.clock!r}"
            )
        if self.answer_hours < 0:
            raise ValueError("MEDAGENCY_ANSWER_HOURS must not be negative")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> AgencyConfig:
        """MEDAGENCY_DB (default DATA_DIR/medagency.db), MEDAGENCY_WEBHOOK_URL,
        MEDAGENCY_WEBHOOK_SECRET, MEDAGENCY_CLOCK and MEDAGENCY_ANSWER_HOURS."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR", "data"))
        values: dict[str, object] = {
            "db_path": Path(env.get("MEDAGENCY_DB") or data_dir / "medagency.db"),
            "webhook_url": env.get("MEDAGENCY_WEBHOOK_URL", ""),
            "webhook_secret": env.get("MEDAGENCY_WEBHOOK_SECRET", ""),
            "clock": env.get("MEDAGENCY_CLOCK", "real"),
            "answer_hours": float(env.get("MEDAGENCY_ANSWER_HOURS", "0")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
