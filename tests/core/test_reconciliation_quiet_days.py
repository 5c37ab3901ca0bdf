"""The daily reconciliation's quiet window as the worker starts it (worker.py): every morning
on the real clock (日清), a month on the simulated clock unless RECONCILE_QUIET_DAYS says
otherwise, within the bank's 92-day statement range."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings
from worker import reconciliation_quiet_days
from workflows.reconciliation import DAILY


def _settings(**kw: object) -> Settings:
    return Settings(app_env="test", **kw)  # type: ignore[arg-type]


def test_the_real_clock_matches_every_morning_whatever_the_setting() -> None:
    assert reconciliation_quiet_days(_settings(clock="real")) == DAILY == 1
    assert reconciliation_quiet_days(_settings(clock="real", reconcile_quiet_days=31)) == DAILY


def test_the_simulated_clock_matches_quiet_days_a_month_together() -> None:
    assert reconciliation_quiet_days(_settings(clock="simulated")) == 31
    assert reconciliation_quiet_days(_settings(clock="simulated", reconcile_quiet_days=7)) == 7


@pytest.mark.parametrize("days", [0, 93])
def test_a_window_the_bank_cannot_state_in_one_range_is_refused(days: int) -> None:
    with pytest.raises(ValidationError, match="reconcile_quiet_days"):
        _settings(clock="simulated", reconcile_quiet_days=days)
