"""The medical-insurance agency over real HTTP with a manual clock, and a real HTTP webhook
receiver (the bank tests' own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bank.clock import ManualClock
from medagency.config import AgencyConfig
from medagency.testing import RunningAgency, serve_agency
from tests.bank.conftest import clock, receiver  # noqa: F401  (fixtures shared with the bank's)
from tests.bank.helpers import SECRET, WebhookReceiver


@pytest.fixture
def agency_config(tmp_path: Path, receiver: WebhookReceiver) -> AgencyConfig:  # noqa: F811
    return AgencyConfig(
        db_path=tmp_path / "medagency.db",
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        tick_seconds=0.05,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
    )


@pytest.fixture
def agency(agency_config: AgencyConfig, clock: ManualClock) -> Iterator[RunningAgency]:  # noqa: F811
    with serve_agency(agency_config, clock) as running:
        yield running


@pytest.fixture
def http(agency: RunningAgency) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=agency.url, timeout=30) as client:
        yield client
