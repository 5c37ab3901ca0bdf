"""Permanent activity failures inside workflows (payloads/errors.py): raised once, typed and
non-retryable by the activities, they become a `system_error` task for the supervisors that
carries the error, instead of retries that could never succeed; once the supervisors have
fixed the cause (policy data, a database row) and completed the task, the activity runs
again. The bank's refusals have their own task for finance (workflows/payment_submission.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from payloads.errors import PERMANENT
    from workflows.human_tasks import HumanTasks

R = TypeVar("R")


def permanent_failure(err: ActivityError | ApplicationError) -> ApplicationError | None:
    """The typed, non-retryable cause of a permanent activity failure, if it is one. An
    activity task's failure arrives as an `ActivityError` caused by it; a local activity's
    non-retryable failure as the `ApplicationError` itself (workflows/local_steps.py)."""
    cause = err.cause if isinstance(err, ActivityError) else err
    if isinstance(cause, ApplicationError) and cause.non_retryable and cause.type in PERMANENT:
        return cause
    return None


async def until_fixed(tasks: HumanTasks, activity: str, call: Callable[[], Awaitable[R]]) -> R:
    """Run `call` (an activity, or a local one) until it succeeds, a supervisor's task
    between attempts that fail permanently; any other failure is raised as before."""
    while True:
        try:
            return await call()
        except (ActivityError, ApplicationError) as err:
            failure = permanent_failure(err)
            if failure is None:
                raise
            await _system_error(tasks, activity, failure)


async def _system_error(tasks: HumanTasks, activity: str, failure: ApplicationError) -> None:
    # numbered after every system_error task of the workflow ID, the earlier runs' too: a
    # workflow that continues as new without their states would otherwise open `-1` again,
    # a row that exists (completed), and wait for a task nobody can see
    n = 1 + tasks.earlier_system_errors + len(tasks.of_kind("system_error"))
    task = await tasks.open(
        "system_error",
        task_id=f"system_error-{tasks.case_id or tasks.workflow_id}-{n}",
        title=f"系统错误待处理 / {failure.type} in {activity}",
        details={"activity": activity, "error_type": failure.type, "error": failure.message},
    )
    tasks.on_event(
        "system_error", None, task_id=task.task_id, activity=activity, error_type=failure.type
    )
    done = await tasks.decided(task.task_id)
    tasks.on_event("system_error_retried", done.actor, activity=activity, reason=done.reason)
