"""What every stage of one case uses, and nothing stage-specific: the case's event log and
status, notices to the claimant, its human tasks, and decisions kept as evidence.

Stages get this object, their own part of the state and what they read from other stages
as arguments; none of them sees the workflow."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import JsonValue

    from activities.determinations import DeterminationActivities
    from activities.notifications import NotificationActivities
    from domain.calendar import AGENCY_TZ
    from payloads.case_state import (
        CLOSED_STATUSES,
        CaseEventRecord,
        CasePolicy,
        CaseState,
        CaseStatus,
        ClosureReason,
        EventValue,
        Stage,
    )
    from payloads.notify import NotifyInput
    from payloads.records import DeterminationInput
    from payloads.tasks import Detail, TaskState
    from workflows.human_tasks import HumanTasks
    from workflows.local_steps import AS_TIMER, local
    from workflows.system_errors import until_fixed

SHORT = timedelta(seconds=30)
A = TypeVar("A")
R = TypeVar("R")
NOTIFY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=10), maximum_attempts=20)
NOTIFY_TIMEOUT = timedelta(minutes=1)
# workflow.patched: the case's worklist writes (open/close a task, its reminder and escalation
# notices) and its notices to the claimant as local activities, run inside the workflow task
# that reaches them: an idle benefit month (a reminder, a missed check-in's task, its reminder
# and escalation) takes no activity task and half the workflow tasks (issue 9 §8)
CASE_LOCAL_WRITES = "case-local-writes"


@dataclass(frozen=True)
class Contact:
    """Where the claimant is told things: the registration's, else the employer's report's."""

    email: str | None
    phone: str | None


class CaseServices:
    def __init__(self, state: CaseState) -> None:
        self._s = state
        self.case_id = state.case_id
        self.local_writes = workflow.patched(CASE_LOCAL_WRITES)  # each run decides at its start
        self.tasks = HumanTasks(
            workflow.info().workflow_id,
            state.case_id,
            state.tasks,
            on_event=self.event,
            local_writes=self.local_writes,
        )
        self.tasks.local_notices = self.local_writes
        self.background: list[asyncio.Task[None]] = []

    # ---- the case itself -----------------------------------------------------------------

    @property
    def policy(self) -> CasePolicy:
        assert self._s.policy is not None, "the case's policy is fetched when it opens"
        return self._s.policy

    def set_policy(self, policy: CasePolicy) -> None:
        """The policy in force on a separation date settled after the case opened."""
        self._s.policy = policy

    @property
    def region_code(self) -> str:
        assert self._s.region_code is not None, "a case opens with its first submission"
        return self._s.region_code

    def place(self, region_code: str) -> str:
        """The case's region: the first submission's."""
        self._s.region_code = self._s.region_code or region_code
        return self._s.region_code

    @property
    def closed(self) -> bool:
        return self._s.status in CLOSED_STATUSES

    @property
    def stage(self) -> Stage:
        return self._s.stage

    def enter(self, stage: Stage) -> None:
        self._s.stage = stage

    def set_status(self, status: CaseStatus, closure_reason: ClosureReason | None = None) -> None:
        s = self._s
        if s.status == status and s.closure_reason == closure_reason:
            return
        s.status, s.closure_reason = status, closure_reason
        self.event("status_changed", None, status=status, closure_reason=closure_reason)

    def reopen(self) -> None:
        """A lapsed case taken back (a late registration accepted): no closure reason."""
        self._s.closure_reason = None

    def today(self) -> date:
        return workflow.now().astimezone(AGENCY_TZ).date()

    def event(self, type_: str, actor: str | None, **data: EventValue) -> None:
        s = self._s
        s.event_seq += 1
        s.unsynced_events.append(
            CaseEventRecord(seq=s.event_seq, at=workflow.now(), type=type_, actor=actor, data=data)
        )

    def spawn(self, coro: Awaitable[None]) -> None:
        """Run alongside (a notice); the case waits for it before it finishes or continues."""
        self.background.append(asyncio.ensure_future(coro))

    # ---- the claimant ------------------------------------------------------------------------

    def claimant(self) -> tuple[str, Contact]:
        intake = self._s.intake
        reg, report = intake.registration, intake.employer_report
        name = (reg.name if reg else None) or (report.claimant_name if report else "")
        return name, Contact(
            email=(reg.email if reg else None) or (report.claimant_email if report else None),
            phone=(reg.phone if reg else None) or (report.claimant_phone if report else None),
        )

    async def notify_claimant(self, key: str, template: str, **params: Any) -> None:
        _, contact = self.claimant()
        await self.notify(key, template, contact, **params)

    async def notify(self, key: str, template: str, to: Contact, **params: Any) -> None:
        """Send once (the key); a channel that keeps failing is an event, not a stuck case."""
        params.setdefault("case_id", self.case_id)
        params.setdefault("claimant_name", self.claimant()[0])
        values: dict[str, JsonValue] = {
            k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()
        }
        inp = NotifyInput(
            key=f"{self.case_id}:{key}",
            template=template,
            at=workflow.now(),
            case_id=self.case_id,
            email=to.email,
            phone=to.phone,
            params=values,
        )
        try:
            # the outbox row is keyed: a retry (or a local activity run again) sends it once
            status = await (
                workflow.execute_local_activity_method(
                    NotificationActivities.send_notification,
                    inp,
                    start_to_close_timeout=NOTIFY_TIMEOUT,
                    retry_policy=NOTIFY_RETRY,
                    local_retry_threshold=AS_TIMER,  # a mail server down: timers, not the task
                )
                if self.local_writes
                else workflow.execute_activity_method(
                    NotificationActivities.send_notification,
                    inp,
                    start_to_close_timeout=NOTIFY_TIMEOUT,
                    retry_policy=NOTIFY_RETRY,
                )
            )
        except (ActivityError, ApplicationError) as err:
            # an activity's last failure is an ActivityError around its cause; a local
            # activity's (case-local-writes) is the cause itself, an ApplicationError
            cause = err.cause if isinstance(err, ActivityError) else None
            self.event("notification_failed", None, key=key, error=str(cause or err))
            return
        if status == "no_contact":
            self.event("notification_no_contact", None, key=key)

    # ---- activities, tasks and evidence ----------------------------------------------------

    async def activity(
        self, method: Callable[[Any, A], R], arg: A, *, timeout: timedelta = SHORT
    ) -> R:
        """An activity of the case; a permanent failure waits for the supervisors to fix its
        cause (a `system_error` task) and then runs it again (workflows/system_errors.py).
        Counted while it runs (the case's step is not written yet), not while a task waits."""
        return await until_fixed(
            self.tasks,
            method.__name__,
            lambda: self.tasks.in_flight.run(
                workflow.execute_activity_method(method, arg, start_to_close_timeout=timeout)
            ),
        )

    async def local_step(self, method: Callable[[Any, A], R], arg: A) -> R:
        """`activity`, as a local activity (workflows/local_steps.py): a short database-only
        step run inside the workflow task that reaches it; a permanent failure is a
        `system_error` task all the same."""
        return await until_fixed(
            self.tasks,
            method.__name__,
            lambda: self.tasks.in_flight.run(local(method, arg)),
        )

    async def open_task(
        self,
        kind: str,
        task_id: str,
        title: str,
        due_at: datetime | None = None,
        reminders: list[datetime] | None = None,
        provisional: bool = False,
        **details: Detail,
    ) -> TaskState:
        """Open a task; due by its deadline, or after the policy's days for its kind."""
        policy = self.policy
        if due_at is None:
            due_days = policy.task_due_days.get(kind)
            due_at = workflow.now() + timedelta(days=due_days) if due_days else None
        if due_at is not None and reminders is None:
            reminders = [due_at - timedelta(days=policy.task_reminder_days_before)]
        task = await self.tasks.open(
            kind,
            task_id=task_id,
            title=title,
            due_at=due_at,
            details=details,
            reminders=reminders,
            provisional=provisional,
        )
        self.event("task_opened", None, task_id=task_id, kind=kind)
        return task

    async def determine(
        self,
        kind: str,
        outcome: str,
        actor: str,
        policy_version: str | None,
        *,
        inputs: dict[str, JsonValue],
        result: dict[str, JsonValue] | None = None,
        reasons: list[str] | None = None,
        reason_text: str | None = None,
    ) -> str:
        """Keep a decision as evidence (inputs, policy and code versions, actor, reasons);
        its key."""
        key = f"{self.case_id}:{kind}"
        await self.activity(
            DeterminationActivities.record_determination,
            DeterminationInput(
                key=key,
                case_id=self.case_id,
                kind=kind,
                outcome=outcome,
                actor=actor,
                at=workflow.now(),
                policy_version=policy_version,
                inputs=inputs,
                result=result or {},
                reasons=reasons or [],
                reason_text=reason_text,
            ),
        )
        self.event("determination", actor, kind=kind, outcome=outcome)
        return key
