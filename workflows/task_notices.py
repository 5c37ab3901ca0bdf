"""A human task's notices: its reminder before the due time and its escalation at it
(workflows/human_tasks.py `_watch`), mail to the holder or the supervisors.

Not counted among the writes an Update waits out before it answers (`HumanTasks.in_flight`,
ClaimWorkflow.written): a mail server down for days keeps a notice retrying (local notices:
EXTERNAL_RETRY, at most 6 hours apart), and a check-in must not wait for the mail. Counting
adds no command, so not counting changes no history.

workflow.patched `task-reminder-beside` (local notices, the claim): the reminder is sent
beside the wait for the due time, not before it. A reminder retrying while the mail is down
held back the escalation (the task row moved to the supervisors) until the run ended with its
benefit month, weeks late; and the next run skipped the reminder's instant, so it was neither
sent nor recorded. Now the task escalates at its due time whatever the mail does, and a
reminder not sent by then gives up as the case's `notification_failed` event."""

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

NOTICE_TIMEOUT = timedelta(minutes=2)
REMINDER_BESIDE = "task-reminder-beside"


async def notice(method: Callable[..., Any], state: TaskState, locally: bool) -> None:
    """`method` (remind_task, escalate_task) for the task, now; a local activity `locally`."""
    inp = TaskEventInput(task_id=state.task_id, at=workflow.now())
    if locally:
        await local(method, inp, NOTICE_TIMEOUT, external=True)
    else:
        await workflow.execute_activity_method(method, inp, start_to_close_timeout=NOTICE_TIMEOUT)


class Reminding:
    """A task's reminder sent beside its wait for the due time (`REMINDER_BESIDE`)."""

    def __init__(self, state: TaskState, instant: datetime) -> None:
        self.state, self.instant = state, instant
        self.task = asyncio.create_task(self._send())

    async def _send(self) -> None:
        await notice(TaskNoticeActivities.remind_task, self.state, True)
        self.state.reminders_sent.append(self.instant)

    def give_up(self, on_event: Callable[..., None]) -> None:
        """At the due time: a reminder still retrying is dropped, as one event of the case."""
        if self.task.done():
            return
        self.task.cancel()
        on_event(
            "notification_failed",
            None,
            key=f"task_reminder:{self.state.task_id}:{self.instant.isoformat()}",
            error="the task fell due before its reminder could be sent",
        )
