"""A case's statutory deadlines (DOMAIN.md "Stages and deadlines"): planned by an activity (the
policy and the holiday calendar may change; the history keeps the answer), reminded, met or
missed, moved by a supervisor through the `extend_deadline` Update (its validator refuses a
deadline that is not running), and recomputed when an administrator loads the official
holiday schedule of a year a deadline was counted without (weekends only: `provisional`).
The task whose due time is a deadline's follows it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.rules import RuleActivities
    from domain.deadlines import deadline_expiry, recomputed_due, reminder_instant
    from payloads.case_io import CalendarChanged, ExtendDeadlineInput
    from payloads.case_state import DeadlineExtension, DeadlineInfo, DeadlineKind
    from payloads.errors import FORBIDDEN, INVALID_OUTCOME, TASK_CLOSED
    from payloads.rules import PlanDeadlineInput
    from workflows.claim.services import CaseServices
    from workflows.waiting import fixed, wait_until

# The task whose due time is a deadline's: it moves with the deadline.
TASK_OF_DEADLINE: dict[DeadlineKind, str] = {"review": "review_claim"}
MAX_EXTENSION_DAYS = 90

Reminder = Callable[[DeadlineInfo, date], Coroutine[Any, Any, None]]


class Deadlines:
    def __init__(self, case: CaseServices, deadlines: dict[DeadlineKind, DeadlineInfo]) -> None:
        self.case = case
        self.all = deadlines

    def __getitem__(self, kind: DeadlineKind) -> DeadlineInfo:
        return self.all[kind]

    def get(self, kind: DeadlineKind) -> DeadlineInfo | None:
        return self.all.get(kind)

    async def plan(self, kind: DeadlineKind, start: date) -> DeadlineInfo:
        """The deadline of `kind` running from `start` (planned once per case)."""
        if kind in self.all:
            return self.all[kind]
        plan = await self.case.activity(
            RuleActivities.plan_deadline,
            PlanDeadlineInput(region_code=self.case.region_code, kind=kind, start=start),
        )
        dl = DeadlineInfo(
            kind=kind,
            start=plan.start,
            due_date=plan.due_date,
            reminders=list(plan.reminders),
            warnings=list(plan.warnings),
            policy_version=plan.policy_version,
            provisional=plan.provisional,
            provisional_years=list(plan.provisional_years),
        )
        self.all[kind] = dl
        self.case.event("deadline_set", None, kind=kind, due_date=dl.due_date.isoformat())
        return dl

    async def replan(self, kind: DeadlineKind, start: date) -> DeadlineInfo:
        """Plan `kind` again from another start (a separation date settled later): only for a
        deadline that no timer waits on any more (intake's, once its submission came)."""
        self.all.pop(kind, None)
        return await self.plan(kind, start)

    async def remind_until(
        self, dl: DeadlineInfo, done: Callable[[], bool], remind: Reminder
    ) -> bool:
        """Send each reminder still ahead; True as soon as `done()`, False at expiry (which
        follows an extension)."""
        for day in dl.reminders:
            if day in dl.reminders_sent or reminder_instant(day) <= workflow.now():
                continue
            if await wait_until(done, fixed(reminder_instant(day))):
                return True
            dl.reminders_sent.append(day)
            self.case.event("reminder_sent", None, kind=dl.kind, day=day.isoformat())
            self.case.spawn(remind(dl, day))
        return await wait_until(done, lambda: deadline_expiry(dl.due_date))

    def missed(self, dl: DeadlineInfo) -> None:
        dl.missed = True
        self.case.event("deadline_missed", None, kind=dl.kind, due_date=dl.due_date.isoformat())

    # ---- the extend_deadline Update ----------------------------------------------------------

    def validate_extension(self, inp: ExtendDeadlineInput) -> None:
        if "supervisor" not in inp.actor_roles:
            raise ApplicationError("only supervisors extend deadlines", type=FORBIDDEN)
        dl = self.all.get(inp.kind)
        if dl is None:
            raise ApplicationError(
                f"this case has no {inp.kind} deadline", "kind", type=INVALID_OUTCOME
            )
        if not 1 <= inp.days <= MAX_EXTENSION_DAYS:
            raise ApplicationError(
                f"an extension is 1 to {MAX_EXTENSION_DAYS} days", "days", type=INVALID_OUTCOME
            )
        if not inp.reason.strip():
            raise ApplicationError("an extension needs a reason", "reason", type=INVALID_OUTCOME)
        if not self._running(dl) or deadline_expiry(dl.due_date) <= workflow.now():
            raise ApplicationError(
                f"the {inp.kind} deadline is no longer running (due {dl.due_date})",
                type=TASK_CLOSED,
            )

    async def extend(self, inp: ExtendDeadlineInput) -> DeadlineInfo:
        """Move a running deadline; its timers and its task follow."""
        dl = self.all[inp.kind]
        old = dl.due_date
        dl.due_date = old + timedelta(days=inp.days)
        dl.extensions.append(
            DeadlineExtension(
                from_date=old,
                to_date=dl.due_date,
                days=inp.days,
                reason=inp.reason,
                by=inp.actor,
                at=workflow.now(),
            )
        )
        self.case.event(
            "deadline_extended",
            inp.actor,
            kind=inp.kind,
            to=dl.due_date.isoformat(),
            days=inp.days,
            reason=inp.reason,
        )
        await self._moved(dl)
        return dl

    def _running(self, dl: DeadlineInfo) -> bool:
        return dl.running and not self.case.closed

    async def _moved(self, dl: DeadlineInfo) -> None:
        """The open task whose due time derives from `dl` follows it (and its provisional
        mark): after an extension, or a recomputation."""
        kind = TASK_OF_DEADLINE.get(dl.kind)
        for task in self.case.tasks.open_ones(kind) if kind else []:
            await self.case.tasks.move_due(
                task,
                deadline_expiry(dl.due_date),
                reminder_instant(dl.due_date - timedelta(days=1)),
                provisional=dl.provisional,
            )

    # ---- the calendar_changed signal ---------------------------------------------------------

    async def recompute(self, change: CalendarChanged) -> None:
        """Plan again each running deadline computed without `change.year`; keep the
        supervisor's extensions on top, never move earlier than the day announced
        (domain.deadlines.recomputed_due); record `deadline_recomputed` {kind, from, to, why}.
        The waits follow `dl.due_date` (workflows/waiting.py)."""
        for dl in list(self.all.values()):
            if change.year not in dl.pending_years() or not self._running(dl):
                continue
            plan = await self.case.activity(
                RuleActivities.plan_deadline,
                PlanDeadlineInput(region_code=self.case.region_code, kind=dl.kind, start=dl.start),
            )
            if not self._running(dl):  # met or missed while the plan was made
                continue
            old, was_provisional = dl.due_date, dl.provisional
            official = plan.due_date + timedelta(days=sum(x.days for x in dl.extensions))
            dl.due_date = recomputed_due(old, official)
            dl.reminders = list(plan.reminders)
            dl.warnings = list(plan.warnings)
            dl.provisional = plan.provisional
            dl.provisional_years = list(plan.provisional_years)
            self.case.event(
                "deadline_recomputed",
                None,
                kind=dl.kind,
                why=_why(change, official, old),
                **{"from": old.isoformat(), "to": dl.due_date.isoformat()},
            )
            if dl.due_date != old or dl.provisional != was_provisional:
                await self._moved(dl)


def _why(change: CalendarChanged, official: date, announced: date) -> str:
    why = (
        f"the State Council's holiday schedule for {change.year} was loaded "
        f"(calendar version {change.version}); the deadline had been counted with weekends only"
    )
    if official < announced:
        why += f"; the official day {official.isoformat()} is earlier: the day announced stands"
    return why
