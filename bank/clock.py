"""The bank's clock: wall time, the Temporal time-skipping server's time, or a manual one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from google.protobuf.empty_pb2 import Empty
from temporalio.client import Client


class BankClock(Protocol):
    async def now(self) -> datetime: ...


class RealClock:
    async def now(self) -> datetime:
        return datetime.now(UTC)


class TemporalClock:
    """Reads the time of the time-skipping test server, so simulated time settles too."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._client: Client | None = None

    async def now(self) -> datetime:
        if self._client is None:
            self._client = await Client.connect(self.address)
        resp = await self._client.test_service.get_current_time(Empty())
        return resp.time.ToDatetime(tzinfo=UTC)


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2024, 1, 15, 1, 0, tzinfo=UTC)

    async def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


def clock_from_spec(spec: str) -> BankClock:
    """`real` or `temporal:<host:port>` (BANK_CLOCK)."""
    if spec == "real":
        return RealClock()
    if spec.startswith("temporal:") and spec.removeprefix("temporal:"):
        return TemporalClock(spec.removeprefix("temporal:"))
    raise ValueError(f"BANK_CLOCK must be 'real' or 'temporal:<address>', not {spec!r}")
