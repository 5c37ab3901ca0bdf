"""The system clock: wall time in real mode, the test server's time in simulated mode."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.empty_pb2 import Empty
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client

from domain.calendar import AGENCY_TZ


class SystemClock:
    def __init__(self, simulated: bool) -> None:
        self.simulated = simulated

    async def now(self, client: Client | None) -> datetime:
        if not self.simulated:
            return datetime.now(UTC)
        assert client is not None
        resp = await client.test_service.get_current_time(Empty())
        return resp.time.ToDatetime(tzinfo=UTC)

    async def today(self, client: Client | None) -> date:
        """The agency's calendar day (China Standard Time)."""
        return (await self.now(client)).astimezone(AGENCY_TZ).date()

    async def advance(self, client: Client, seconds: float) -> datetime:
        """Simulated mode: move Temporal time forward; every timer due fires on the way."""
        duration = Duration()
        duration.FromNanoseconds(int(seconds * 1e9))
        await client.test_service.unlock_time_skipping_with_sleep(
            SleepRequest(duration=duration), timeout=timedelta(minutes=10)
        )
        return await self.now(client)
