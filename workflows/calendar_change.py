"""A case's provisional deadlines recomputed when an administrator loads a year's official
holiday schedule (DOMAIN.md "Stages and deadlines"; ClaimWorkflow.calendar_changed).

A deadline that consulted a year the calendar did not know was counted with weekends only.
When that year is loaded, each such deadline that is still running is planned again by the
same rule activity, keeps the supervisor's extensions on top, and moves: the waits follow
`dl.due_date` (workflows/waiting.py), and `deadline_moved` moves the tasks derived from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.rules import PlanDeadlineInput, RuleActivities
    from domain.deadlines import recomputed_due
    from workflows.case_models import CLOSED_STATUSES, CalendarChanged, CaseState, DeadlineInfo

PLAN_TIMEOUT = timedelta(seconds=30)


def _running(s: CaseState, dl: DeadlineInfo) -> bool:
    return dl.met_on is None and not dl.missed and s.status not in CLOSED_STATUSES


def _why(change: CalendarChanged, official: date, announced: date) -> str:
    why = (
        f"the State Council's holiday schedule for {change.year} was loaded "
        f"(calendar version {change.version}); the deadline had been counted with weekends only"
    )
    if official < announced:
        why += f"; the official day {official.isoformat()} is earlier: the day announced stands"
    return why


async def recompute_deadlines(
    s: CaseState,
    change: CalendarChanged,
    *,
    event: Callable[..., None],
    deadline_moved: Callable[[DeadlineInfo], Awaitable[None]],
) -> None:
    """Plan again each running deadline of `s` computed without `change.year`; record a
    `deadline_recomputed` event {kind, from, to, why} and move what follows it."""
    for dl in list(s.deadlines.values()):
        if change.year not in dl.pending_years() or not _running(s, dl):
            continue
        assert s.region_code is not None
        plan = await workflow.execute_activity_method(
            RuleActivities.plan_deadline,
            PlanDeadlineInput(region_code=s.region_code, kind=dl.kind, start=dl.start),
            start_to_close_timeout=PLAN_TIMEOUT,
        )
        if not _running(s, dl):  # met or missed while the plan was made
            continue
        old, was_provisional = dl.due_date, dl.provisional
        extended = sum(int(x.get("days", 0)) for x in dl.extensions)
        official = plan.due_date + timedelta(days=extended)
        dl.due_date = recomputed_due(old, official)
        dl.reminders = list(plan.reminders)
        dl.warnings = list(plan.warnings)
        dl.provisional = plan.provisional
        dl.provisional_years = list(plan.provisional_years)
        moved: dict[str, Any] = {"from": old.isoformat(), "to": dl.due_date.isoformat()}
        event("deadline_recomputed", None, kind=dl.kind, **moved, why=_why(change, official, old))
        if dl.due_date != old or dl.provisional != was_provisional:
            await deadline_moved(dl)
