"""The one calendars' moment (activities/calendar_moments.py), without Temporal: each region on
its own, a failed region retried (its day kept, never skipped) while the others go on, a late
wake still starting the missed day, and a region added to the policy picked up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from temporalio.testing import ActivityEnvironment

from activities.calendar_moments import (
    RETRY_FIRST,
    RETRY_MOST,
    CalendarMomentActivities,
    moment_of,
    retry_after,
)
from activities.medical_batches import MedicalBatchActivities
from activities.rules import PayoutCalendarActivities
from activities.starts import WorkflowStartActivities
from payloads.calendars import PayoutMoment, PayoutMomentInput, PayoutRegion, Started
from payloads.medical import (
    MedicalDeclarationInput,
    MedicalMoment,
    MedicalMomentInput,
    MedicalRegion,
)
from payloads.payments import PaymentRunInput
from policy import PolicyBook
from tests.utils.policy_variants import book_with_payout_day
from workflows import ids


class FakeStarts:
    """The start activities' `_if_due` halves: each start recorded; `failing` regions raise."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.declarations: list[str] = []
        self.failing: set[str] = set()

    async def start_payment_run_if_due(self, inp: PaymentRunInput) -> Started:
        if inp.region_code in self.failing:
            raise RuntimeError(f"temporal unreachable for {inp.region_code}")
        self.runs.append(inp.run_id)
        return Started(ids.payment_run(inp.run_id), already=False)

    async def start_medical_declaration_if_due(self, inp: MedicalDeclarationInput) -> Started:
        if inp.region_code in self.failing:
            raise RuntimeError(f"temporal unreachable for {inp.region_code}")
        self.declarations.append(ids.medical_declaration(inp.region_code, inp.month))
        return Started(ids.medical_declaration(inp.region_code, inp.month), already=False)


class Moments:
    def __init__(self, book: PolicyBook) -> None:
        self.starts = FakeStarts()
        self.acts = CalendarMomentActivities(
            book,
            cast(WorkflowStartActivities, self.starts),
            PayoutCalendarActivities(book),
            MedicalBatchActivities(cast(Any, None), book),
        )

    async def payout(
        self, now: datetime, regions: dict[str, PayoutRegion], only: list[str] | None
    ) -> PayoutMoment:
        moment: PayoutMoment = await ActivityEnvironment().run(
            self.acts.start_due_payment_runs, PayoutMomentInput(now, regions, only)
        )
        return moment

    async def medical(
        self, now: datetime, regions: dict[str, MedicalRegion], only: list[str] | None
    ) -> MedicalMoment:
        moment: MedicalMoment = await ActivityEnvironment().run(
            self.acts.start_due_medical_declarations, MedicalMomentInput(now, regions, only)
        )
        return moment


@pytest.fixture
def two_days(tmp_path: Path) -> Moments:
    """220100 (and 330100) pay on the 10th, 220200 on the 20th."""
    return Moments(book_with_payout_day(tmp_path, "220200", 20))


async def test_two_regions_with_different_payout_days_each_get_their_run(
    two_days: Moments,
) -> None:
    only = ["220100", "220200"]
    first = await two_days.payout(moment_of(date(2026, 3, 5)), {}, only)
    assert first.regions == {
        "220100": PayoutRegion(day=date(2026, 3, 10)),
        "220200": PayoutRegion(day=date(2026, 3, 20)),
    }
    assert first.next_at == moment_of(date(2026, 3, 10)) and not first.started
    tenth = await two_days.payout(first.next_at, first.regions, only)
    assert two_days.starts.runs == [ids.payment_run_id("220100", date(2026, 3, 10))]
    assert tenth.regions["220100"] == PayoutRegion(day=date(2026, 4, 10))
    assert tenth.regions["220200"] == PayoutRegion(day=date(2026, 3, 20))  # not looked up again
    assert tenth.next_at == moment_of(date(2026, 3, 20))
    twentieth = await two_days.payout(tenth.next_at, tenth.regions, only)
    assert two_days.starts.runs[1:] == [ids.payment_run_id("220200", date(2026, 3, 20))]
    assert twentieth.next_at == moment_of(date(2026, 4, 10))
    assert [s.workflow_id for s in twentieth.started] == [
        ids.payment_run(ids.payment_run_id("220200", date(2026, 3, 20)))
    ]


async def test_a_region_whose_start_fails_keeps_its_day_and_does_not_stop_the_others(
    two_days: Moments,
) -> None:
    """Its run is retried an hour later (then backing off), never skipped; the others' runs
    start as due."""
    only = ["220100", "330100"]
    two_days.starts.failing = {"220100"}
    now = moment_of(date(2026, 3, 10))
    regions = {c: PayoutRegion(day=date(2026, 3, 10)) for c in only}
    failed = await two_days.payout(now, regions, only)
    assert two_days.starts.runs == [ids.payment_run_id("330100", date(2026, 3, 10))]
    assert failed.regions["330100"] == PayoutRegion(day=date(2026, 4, 10))
    kept = failed.regions["220100"]
    assert (kept.day, kept.failures) == (date(2026, 3, 10), 1)
    assert "temporal unreachable" in failed.failed["220100"] and list(failed.failed) == ["220100"]
    assert failed.next_at == now + RETRY_FIRST
    again = await two_days.payout(failed.next_at, failed.regions, only)  # still failing
    assert again.regions["220100"].failures == 2
    assert again.next_at == failed.next_at + 2 * RETRY_FIRST
    two_days.starts.failing = set()
    done = await two_days.payout(again.next_at, again.regions, only)
    assert two_days.starts.runs[1:] == [ids.payment_run_id("220100", date(2026, 3, 10))]
    assert done.regions["220100"] == PayoutRegion(day=date(2026, 4, 10)) and not done.failed
    assert done.next_at == moment_of(date(2026, 4, 10))
    assert [retry_after(n) for n in (1, 2, 3, 6, 40)] == [
        RETRY_FIRST,
        2 * RETRY_FIRST,
        4 * RETRY_FIRST,
        RETRY_MOST,
        RETRY_MOST,
    ]


async def test_a_region_whose_look_up_fails_does_not_stop_the_others(two_days: Moments) -> None:
    """A region the policy lacks (its look-up fails): reported and retried, 220100 started."""
    only = ["220100", "999999"]
    now = moment_of(date(2026, 3, 10))
    out = await two_days.payout(now, {}, only)
    assert two_days.starts.runs == [ids.payment_run_id("220100", date(2026, 3, 10))]
    assert out.regions["999999"].day is None and out.regions["999999"].failures == 1
    assert "999999" in out.failed and out.next_at == now + RETRY_FIRST


async def test_a_late_wake_starts_the_missed_day_and_looks_on_from_today(
    two_days: Moments,
) -> None:
    """The worker down from the 9th to the 25th: the 10th's run starts on waking (its cutoff
    the 10th), the next day looked up after today, as each region's calendar did."""
    only = ["330100"]
    out = await two_days.payout(
        moment_of(date(2026, 3, 25)), {"330100": PayoutRegion(day=date(2026, 3, 10))}, only
    )
    assert two_days.starts.runs == [ids.payment_run_id("330100", date(2026, 3, 10))]
    assert out.regions["330100"] == PayoutRegion(day=date(2026, 4, 10))


async def test_a_region_added_to_the_policy_is_picked_up_and_one_gone_is_dropped(
    two_days: Moments,
) -> None:
    """Every region of the policy (`only` None), read at the moment: one not carried is looked
    up from yesterday (its payout day today: started at once); one gone is dropped."""
    now = moment_of(date(2026, 3, 10)) + timedelta(hours=2)
    carried = {"220200": PayoutRegion(day=date(2026, 3, 20)), "110100": PayoutRegion()}
    out = await two_days.payout(now, carried, None)
    assert sorted(out.regions) == ["220100", "220200", "330100"]
    assert sorted(two_days.starts.runs) == [
        ids.payment_run_id("220100", date(2026, 3, 10)),
        ids.payment_run_id("330100", date(2026, 3, 10)),
    ]
    assert out.next_at == moment_of(date(2026, 3, 20))


async def test_the_medical_moment_declares_each_regions_open_window_and_retries_a_failed_one(
    two_days: Moments,
) -> None:
    only = ["220100", "330100"]
    first = await two_days.medical(moment_of(date(2026, 3, 2)), {}, only)
    windows = {c: r.window for c, r in first.regions.items()}
    assert all(w is not None and w.month == date(2026, 3, 1) for w in windows.values())
    opens = windows["220100"]
    assert opens is not None and first.next_at == moment_of(opens.opens)
    two_days.starts.failing = {"330100"}
    at = await two_days.medical(first.next_at, first.regions, only)
    assert two_days.starts.declarations == [ids.medical_declaration("220100", date(2026, 3, 1))]
    nxt = at.regions["220100"].window
    assert nxt is not None and nxt.month == date(2026, 4, 1)
    assert at.regions["330100"].failures == 1 and at.next_at == first.next_at + RETRY_FIRST
    two_days.starts.failing = set()
    later = await two_days.medical(at.next_at, at.regions, only)
    assert two_days.starts.declarations[1:] == [ids.medical_declaration("330100", date(2026, 3, 1))]
    assert not later.failed and later.next_at == moment_of(nxt.opens)
