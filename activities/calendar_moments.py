"""The one payout calendar's and the one medical calendar's moment (workflows/payout_calendar.py,
workflows/medical_calendar.py: `AllRegions...CalendarWorkflow`), each ONE local activity.

At a moment (the workflow's time, handed in: on the time-skipping server the activity's own
clock is not the simulated one) every region of the policy, read here each time so a region
added later is picked up, is looked at on its own: a region whose carried day (window) has come
gets that day's run (month's declaration) started as the calendars always did, `_if_due` and
by the run's own idempotent ID, then its next day (window) looked up after this one; a region
the calendar has not seen yet is looked up first. The answer carries each region's place and
the next moment over all regions: the earliest region's 09:00, or sooner a failed region's
retry.

A region whose look-up or start fails does not hold the others: the failure is logged and
returned (`failed`), the region keeps its day (a failed start is retried, never skipped; a
failed look-up after a start keeps where to look from) and is retried after RETRY_FIRST,
doubled each moment in a row it fails, at most RETRY_MOST apart. Each region's step is bounded
by REGION_TIMEOUT, well inside the local activity's start-to-close. Only a failure of the whole
(the policy unreadable) fails the local activity, retried as the loop's local activities are
(workflows/local_steps.py); retrying it is harmless, every start being idempotent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from temporalio import activity

from activities.medical_batches import MedicalBatchActivities
from activities.rules import PayoutCalendarActivities
from activities.starts import WorkflowStartActivities
from domain.calendar import AGENCY_TZ
from payloads.calendars import (
    PayoutMoment,
    PayoutMomentInput,
    PayoutRegion,
    Started,
)
from payloads.medical import (
    MedicalDeclarationInput,
    MedicalMoment,
    MedicalMomentInput,
    MedicalRegion,
    NextWindowInput,
    WindowDays,
)
from payloads.payments import PaymentRunInput
from payloads.rules import NextPayoutInput
from policy import PolicySource
from workflows import ids

RUN_HOUR = time(9, 0)  # a payout day's run and a window's declaration start at 09:00 China time
RETRY_FIRST = timedelta(hours=1)
RETRY_MOST = timedelta(days=1)
REGION_TIMEOUT = 8.0  # seconds a step (up to 3 a region); the local activity has 30
IDLE = timedelta(days=1)  # no region at all: look again a day later

R = TypeVar("R")


def moment_of(day: date) -> datetime:
    return datetime.combine(day, RUN_HOUR, tzinfo=AGENCY_TZ)


def retry_after(failures: int) -> timedelta:
    """How long a region that failed `failures` moments in a row waits for its next try."""
    doubled: timedelta = RETRY_FIRST * 2 ** min(failures - 1, 10)
    return min(doubled, RETRY_MOST)


def _next_at(now: datetime, places: list[tuple[date | None, int]]) -> datetime:
    """The next moment: each region's (day, failures): a failed one's retry, else its day's."""
    moments = [
        now + retry_after(failures) if failures or day is None else moment_of(day)
        for day, failures in places
    ]
    return min(moments, default=now + IDLE)


async def _bounded(step: Callable[[], Awaitable[R]]) -> R:
    return await asyncio.wait_for(step(), REGION_TIMEOUT)


class CalendarMomentActivities:
    def __init__(
        self,
        policy: PolicySource,
        starts: WorkflowStartActivities,
        payout: PayoutCalendarActivities,
        windows: MedicalBatchActivities,
    ) -> None:
        self.policy = policy  # re-read each moment: a region added to the policy is picked up
        self.starts = starts
        self.payout = payout
        self.windows = windows

    def _codes(self, only: list[str] | None) -> list[str]:
        return list(only) if only is not None else self.policy.current().codes()

    @activity.defn
    async def start_due_payment_runs(self, inp: PayoutMomentInput) -> PayoutMoment:
        """Each region's payout-day run that is due at `inp.now` started, the next day of
        each looked up; the next moment over all regions."""
        codes = self._codes(inp.only)
        dropped = sorted(set(inp.regions) - set(codes))
        if dropped:
            activity.logger.warning("payout calendar: regions gone from the policy: %s", dropped)
        today = inp.now.astimezone(AGENCY_TZ).date()
        steps = await asyncio.gather(
            *(
                self._payout_region(code, inp.regions.get(code) or PayoutRegion(), inp.now, today)
                for code in codes
            )
        )
        out = PayoutMoment(regions={}, next_at=inp.now)
        for code, (place, started) in zip(codes, steps, strict=True):
            out.regions[code] = place
            if started is not None:
                out.started.append(started)
            if place.failures:
                out.failed[code] = place.error
        out.next_at = _next_at(inp.now, [(p.day, p.failures) for p in out.regions.values()])
        return out

    async def _payout_region(
        self, code: str, place: PayoutRegion, now: datetime, today: date
    ) -> tuple[PayoutRegion, Started | None]:
        day, after, started = place.day, place.after, None
        try:
            if day is None:
                day = await _bounded(lambda: self._payout_day(code, after or today - timedelta(1)))
            if moment_of(day) > now:
                return PayoutRegion(day=day), None
            run = PaymentRunInput(
                run_id=ids.payment_run_id(code, day), region_code=code, cutoff=day
            )
            started = await _bounded(lambda: self.starts.start_payment_run_if_due(run))
            # started: from here on the day is done; a wake late by days (a worker down)
            # looks on from today, as each region's calendar did
            day, after = None, max(run.cutoff, today)
            looked_from = after
            day = await _bounded(lambda: self._payout_day(code, looked_from))
            return PayoutRegion(day=day), started
        except Exception as err:  # this region's alone: the others go on
            error = f"{type(err).__name__}: {err}"
            activity.logger.warning("payout calendar: region %s failed: %s", code, error)
            return PayoutRegion(day, after, place.failures + 1, error), started

    async def _payout_day(self, code: str, after: date) -> date:
        inp = NextPayoutInput(region_code=code, after=after)
        return await asyncio.to_thread(self.payout.next_payout_day, inp)

    @activity.defn
    async def start_due_medical_declarations(self, inp: MedicalMomentInput) -> MedicalMoment:
        """Each region's month's declaration whose window opened by `inp.now` started, the
        next window of each looked up; the next moment over all regions."""
        codes = self._codes(inp.only)
        dropped = sorted(set(inp.regions) - set(codes))
        if dropped:
            activity.logger.warning("medical calendar: regions gone from the policy: %s", dropped)
        today = inp.now.astimezone(AGENCY_TZ).date()
        steps = await asyncio.gather(
            *(
                self._medical_region(code, inp.regions.get(code) or MedicalRegion(), inp.now, today)
                for code in codes
            )
        )
        out = MedicalMoment(regions={}, next_at=inp.now)
        for code, (place, started) in zip(codes, steps, strict=True):
            out.regions[code] = place
            if started is not None:
                out.started.append(started)
            if place.failures:
                out.failed[code] = place.error
        out.next_at = _next_at(
            inp.now,
            [(p.window.opens if p.window else None, p.failures) for p in out.regions.values()],
        )
        return out

    async def _medical_region(
        self, code: str, place: MedicalRegion, now: datetime, today: date
    ) -> tuple[MedicalRegion, Started | None]:
        window, on, started = place.window, place.on, None
        try:
            if window is None:
                window = await _bounded(lambda: self._window(code, on or today))
            if moment_of(window.opens) > now:
                return MedicalRegion(window=window), None
            month = MedicalDeclarationInput(region_code=code, month=window.month)
            started = await _bounded(lambda: self.starts.start_medical_declaration_if_due(month))
            # started: from the day after this window closes (or today, a wake late by days)
            on = max(window.closes + timedelta(days=1), today)
            window, looked_on = None, on
            window = await _bounded(lambda: self._window(code, looked_on))
            return MedicalRegion(window=window), started
        except Exception as err:  # this region's alone: the others go on
            error = f"{type(err).__name__}: {err}"
            activity.logger.warning("medical calendar: region %s failed: %s", code, error)
            return MedicalRegion(window, on, place.failures + 1, error), started

    async def _window(self, code: str, on: date) -> WindowDays:
        inp = NextWindowInput(region_code=code, on=on)
        return await asyncio.to_thread(self.windows.next_declaration_window, inp)
