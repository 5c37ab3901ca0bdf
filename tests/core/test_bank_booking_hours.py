"""BANK_BOOKING_HOURS: how long after its acceptance the bank can first have booked a run
(a payment run's first fallback poll waits that long, workflows/payment_run.py). Zero polls at
once; a negative wait is refused when the settings are read, naming the setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings


def _settings(**kw: object) -> Settings:
    return Settings(app_env="test", **kw)  # type: ignore[arg-type]


def test_booking_hours_default_to_a_day_and_may_be_zero() -> None:
    assert _settings().bank_booking_hours == 24.0
    assert _settings(bank_booking_hours=0).bank_booking_hours == 0


def test_negative_booking_hours_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError, match="bank_booking_hours") as err:
        _settings(bank_booking_hours=-1)
    assert "greater than or equal to 0" in str(err.value)
    monkeypatch.setenv("BANK_BOOKING_HOURS", "-0.5")
    with pytest.raises(ValidationError, match="bank_booking_hours"):
        _settings()
