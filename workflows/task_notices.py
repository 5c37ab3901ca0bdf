"""A human task's notices: its reminder before the due time and its escalation at it
(workflows/human_tasks.py `_watch`), mail to the holder or the supervisors.

Local notices are not counted among the writes an Update waits out before it answers
(`HumanTasks.in_flight`, ClaimWorkflow.written): a mail server down for days keeps one retrying
(EXTERNAL_RETRY, at most 6 hours apart), and a check-in must not wait for the mail. Notices as
activities (runs from before case-local-writes) are still counted, so their Updates replay
answered in the workflow task they were.

workflow.patched `task-reminder-beside` (local notices, the claim): the reminder is sent
beside the wait for the due time, not before it. A reminder retrying while the mail is down
held back the escalation (the task row moved to the supervisors) until the run ended with its
benefit month, weeks late; and the next run skipped the reminder's instant, so it was neither
sent nor recorded. Now the task escalates at its due time whatever the mail does, and a
reminder not sent by then gives up as the case's `notification_failed` event; one still
retrying when the run continues as new is taken up by the next run (`reminders_tried`), under
the same outbox key (its instant), so it goes out once or gives up once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.worklist import TaskNoticeActivities
    from payloads.tasks import TaskEventInput, TaskState
    from workflows.local_steps import local
    from workflows.waiting import InFlight

NOTICE_TIMEOUT = timedelta(minutes=2)
REMINDER_BESIDE = "task-reminder-beside"


async def notice(
    method: Callable[..., Any],
    state: TaskState,
    locally: bool,
    at: datetime | None = None,
    in_flight: InFlight | None = None,
) -> None:
    """`method` (remind_task, escalate_task) for the task, now; a local activity `locally`.
    `at` names the notice (its outbox key): now, or a reminder's instant. As an activity it is
    still counted in `in_flight` as before: runs from before case-local-writes replay with
    their Updates answered in the workflow task they were."""
    inp = TaskEventInput(task_id=state.task_id, at=at or workflow.now())
    if locally:
        await local(method, inp, NOTICE_TIMEOUT, external=True)
        return
    sending = workflow.execute_activity_method(method, inp, start_to_close_timeout=NOTICE_TIMEOUT)
    await (in_flight.run(sending) if in_flight is not None else sending)


class Reminding:
    """A task's reminder sent beside its wait for the due time (`REMINDER_BESIDE`), named by
    its instant: the next run takes up one this run leaves retrying (`reminders_tried`), and
    the outbox sends it once whichever run gets through."""

    def __init__(self, state: TaskState, instant: datetime, watchers: list[Any]) -> None:
        self.state, self.instant = state, instant
        if instant not in state.reminders_tried:
            state.reminders_tried.append(instant)
        self.task = asyncio.create_task(self._send())
        watchers.append(self.task)  # cancelled with the task's watchers (continue-as-new)

    async def _send(self) -> None:
        await notice(TaskNoticeActivities.remind_task, self.state, True, self.instant)
        self.state.reminders_sent.append(self.instant)

    def give_up(self, on_event: Callable[..., None]) -> None:
        """At the due time: a reminder still retrying is dropped, as one event of the case."""
        if not self.task.done():
            self.task.cancel()
            gave_up(self.state, self.instant, on_event)


def taken_up(
    state: TaskState, on_event: Callable[..., None], watchers: list[Any]
) -> list[Reminding]:
    """At a run's start: the reminders an earlier run left retrying (continue-as-new came
    between the reminder and the due time), sent again beside the wait for the due time; or
    given up if the task fell due meanwhile (it escalates next)."""
    out: list[Reminding] = []
    for instant in state.reminders:
        if instant in state.reminders_tried and instant not in state.reminders_sent:
            if state.due_at is not None and workflow.now() < state.due_at:
                out.append(Reminding(state, instant, watchers))
            else:
                gave_up(state, instant, on_event)
    return out


def gave_up(state: TaskState, instant: datetime, on_event: Callable[..., None]) -> None:
    on_event(
        "notification_failed",
        None,
        key=f"task_reminder:{state.task_id}:{instant.isoformat()}",
        error="the task fell due before its reminder could be sent",
    )
