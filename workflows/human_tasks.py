"""The one human-task mechanism (ARCHITECTURE.md "Human tasks"), used inside workflows.

A workflow opens a task through an idempotent activity (a worklist row), then waits for its
completion. Completion arrives as the `complete_task` Update that `TaskOwner` gives every
workflow owning tasks (claim, payment run, reconciliation, recovery offset): its validator
refuses a closed task, an actor without the task's role, or an outcome and data that do not
fit the kind (domain/task_data.py), before anything changes; the handler records it through
an activity.
Open tasks remind before their due time and escalate to the supervisors at it. An owner that
opts in (`local_writes`: the payment run and the claim, patched) opens and closes task rows by
local activities (workflows/local_steps.py); the Update still answers once its row is closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.worklist import TaskNoticeActivities, WorklistActivities
    from domain.task_data import TaskData, as_record, check_completion, parse_task_data
    from domain.tasks import TASK_KINDS, OutcomeError, may_complete
    from payloads.errors import FORBIDDEN, INVALID_OUTCOME, TASK_CLOSED, TASK_NOT_FOUND
    from payloads.tasks import (
        CloseTaskInput,
        CompleteTaskInput,
        Detail,
        OpenTaskInput,
        TaskCompletion,
        TaskEventInput,
        TaskState,
    )
    from workflows.local_steps import local
    from workflows.task_notices import REMINDER_BESIDE, Reminding, notice, taken_up
    from workflows.waiting import InFlight, fixed, wait_until

DB_TIMEOUT = timedelta(seconds=30)

# A check of a completion that needs the owning workflow's state; raises OutcomeError (422)
# or ApplicationError (e.g. FORBIDDEN) to refuse it.
DataCheck = Callable[[TaskState, TaskData, CompleteTaskInput], None]
EventSink = Callable[..., None]
D = TypeVar("D")


def _no_event(*_: Any, **__: Any) -> None:
    return None


def data_of(done: TaskCompletion, model: type[D]) -> D:
    """A completion's data as its kind's model (the validator parsed it with that model)."""
    assert isinstance(done.data, model), (done.kind, type(done.data))
    return done.data


class HumanTasks:
    """Open, await and complete the human tasks of one workflow. State lives in `tasks`, a
    dict kept in the workflow's own state so it survives continue-as-new."""

    def __init__(
        self,
        workflow_id: str,
        case_id: str | None,
        tasks: dict[str, TaskState],
        on_event: EventSink = _no_event,
        local_writes: bool = False,
    ) -> None:
        self.workflow_id = workflow_id
        self.case_id = case_id
        self.tasks = tasks
        self.on_event = on_event
        self.local_writes = local_writes  # open_task/close_task as local activities
        self.local_notices = False  # remind_task/escalate_task as local ones (the claim, patched)
        self.watchers: list[asyncio.Task[None]] = []
        self.in_flight = InFlight()  # worklist writes under way
        self.rows_in_flight = InFlight()  # task rows being opened or closed (`_row`)
        # system_error tasks opened by earlier runs of a chain that continues as new without
        # carrying their states (workflows/system_errors.py numbers the next one after them)
        self.earlier_system_errors = 0

    async def open(
        self,
        kind: str,
        *,
        task_id: str,
        title: str,
        due_at: datetime | None = None,
        details: Mapping[str, Detail] | None = None,
        reminders: list[datetime] | None = None,
        provisional: bool = False,
    ) -> TaskState:
        spec = TASK_KINDS[kind]
        state = self.tasks.get(task_id)
        if state is None:
            state = TaskState(
                task_id=task_id,
                kind=kind,
                group=spec.group,
                opened_at=workflow.now(),
                due_at=due_at,
            )
            self.tasks[task_id] = state
        await self._row(
            WorklistActivities.open_task,
            OpenTaskInput(
                task_id=task_id,
                kind=kind,
                workflow_id=self.workflow_id,
                case_id=self.case_id,
                group=spec.group,
                priority=spec.priority,
                title=title,
                at=state.opened_at,
                due_at=due_at,
                details=dict(details or {}),
                provisional=provisional,
            ),
        )
        if due_at is not None:
            state.reminders = sorted(reminders or [])
            self.watchers.append(asyncio.create_task(self._watch(state)))
        return state

    async def _write(
        self, method: Callable[..., Any], arg: Any, timeout: timedelta, locally: bool = False
    ) -> None:
        """A worklist activity (a local one `locally`), counted while it runs (`in_flight`)."""
        await self.in_flight.run(
            local(method, arg, timeout)
            if locally
            else workflow.execute_activity_method(method, arg, start_to_close_timeout=timeout)
        )

    async def _row(self, method: Callable[..., Any], arg: Any) -> None:
        """A task row opened or closed, also counted in `rows_in_flight` (the claim syncs after)."""
        await self.rows_in_flight.run(self._write(method, arg, DB_TIMEOUT, self.local_writes))

    def resume(self) -> None:
        """After continue-as-new: watch the open tasks again (their rows already exist)."""
        for state in self.tasks.values():
            if state.completion is None and state.due_at is not None:
                self.watchers.append(asyncio.create_task(self._watch(state)))

    async def _watch(self, state: TaskState) -> None:
        """Remind before the due time, at it escalate to the supervisors (task_notices.py)."""
        done: Callable[[], bool] = lambda: state.completion is not None  # noqa: E731
        if not state.escalated:
            reminding = taken_up(state, self.on_event, self.watchers) if self.local_notices else []
            for instant in list(state.reminders):
                if instant in state.reminders_sent or instant <= workflow.now():
                    continue
                if await wait_until(done, fixed(instant)):
                    return
                if self.local_notices and workflow.patched(REMINDER_BESIDE):
                    reminding.append(Reminding(state, instant, self.watchers))
                    continue
                await self._notice(TaskNoticeActivities.remind_task, state)
                state.reminders_sent.append(instant)
            assert state.due_at is not None
            if await wait_until(done, lambda: state.due_at or workflow.now()):
                return
            for r in reminding:
                r.give_up(self.on_event)
            state.escalated = True
            state.original_group, state.group = state.group, "supervisor"
            self.on_event("task_escalated", None, task_id=state.task_id, kind=state.kind)
        if not state.escalation_noticed:
            await self._notice(TaskNoticeActivities.escalate_task, state)
            state.escalation_noticed = True

    async def _notice(self, method: Callable[..., Any], state: TaskState) -> None:
        await notice(method, state, self.local_notices, in_flight=self.in_flight)

    async def move_due(
        self, state: TaskState, due_at: datetime, reminder: datetime, provisional: bool = False
    ) -> None:
        """The deadline behind the task moved (or became official): its due time, a new
        reminder and whether it is provisional follow."""
        state.due_at = due_at
        if reminder > workflow.now() and reminder not in state.reminders:
            state.reminders.append(reminder)
            state.reminders.sort()
        await self._write(
            TaskNoticeActivities.move_task_due,
            TaskEventInput(
                task_id=state.task_id, at=workflow.now(), due_at=due_at, provisional=provisional
            ),
            DB_TIMEOUT,
        )

    def open_ones(self, kind: str) -> list[TaskState]:
        return [t for t in self.tasks.values() if t.kind == kind and t.completion is None]

    async def wait(
        self, task_id: str, also: Callable[[], bool] = lambda: False
    ) -> TaskCompletion | None:
        """Wait until the task is completed (its completion) or `also()` holds (None)."""
        state = self.tasks[task_id]
        await workflow.wait_condition(lambda: state.completion is not None or also())
        return state.completion

    async def decided(self, task_id: str) -> TaskCompletion:
        """Wait for the task's completion."""
        done = await self.wait(task_id)
        assert done is not None
        return done

    def validate(self, inp: CompleteTaskInput, extra: DataCheck) -> None:
        """The Update validator: raises before anything changes."""
        state = self.tasks.get(inp.task_id)
        if state is None:
            raise ApplicationError(f"no task {inp.task_id} here", type=TASK_NOT_FOUND)
        if state.completion is not None:
            raise ApplicationError(f"task {inp.task_id} is already completed", type=TASK_CLOSED)
        if not may_complete(
            set(inp.actor_roles), state.group, state.escalated, state.original_group, state.kind
        ):
            raise ApplicationError(
                f"task {inp.task_id} is for the {state.group} group", type=FORBIDDEN
            )
        try:
            data = parse_task_data(state.kind, inp.data)
            check_completion(state.kind, inp.outcome, inp.reason, data)
            extra(state, data, inp)
        except OutcomeError as err:
            raise ApplicationError(str(err), err.field, type=INVALID_OUTCOME) from err

    async def complete(self, inp: CompleteTaskInput) -> TaskCompletion:
        """The Update handler body: the first completion wins, a second is refused."""
        state = self.tasks[inp.task_id]
        if state.completion is not None:
            raise ApplicationError(f"task {inp.task_id} is already completed", type=TASK_CLOSED)
        completion = TaskCompletion(
            task_id=inp.task_id,
            kind=state.kind,
            outcome=inp.outcome,
            actor=inp.actor,
            completed_at=workflow.now(),
            reason=inp.reason,
            data=parse_task_data(state.kind, inp.data),  # checked by the validator
        )
        state.completion = completion  # set before any await: a concurrent update sees it
        await self._row(
            WorklistActivities.close_task,
            CloseTaskInput(
                task_id=completion.task_id,
                outcome=completion.outcome,
                actor=completion.actor,
                at=completion.completed_at,
                reason=completion.reason,
                data=as_record(completion.data),
            ),
        )
        return completion

    async def close_by_system(self, task_id: str, outcome: str, reason: str) -> TaskCompletion:
        """Close a task the workflow no longer needs (e.g. the late report arrived after all)."""
        return await self.complete(
            CompleteTaskInput(task_id=task_id, outcome=outcome, actor="system", reason=reason)
        )

    def of_kind(self, kind: str) -> list[TaskState]:
        return [t for t in self.tasks.values() if t.kind == kind]

    def cancel_watchers(self) -> None:
        for watcher in self.watchers:
            watcher.cancel()


class TaskOwner:
    """What a workflow owning human tasks inherits: the one `complete_task` Update and its
    validator. The workflow sets `self.tasks` and may add checks that need its state."""

    tasks: HumanTasks

    @workflow.update
    async def complete_task(self, inp: CompleteTaskInput) -> TaskCompletion:
        done = await self.tasks.complete(inp)
        self.task_completed(done)
        await self.written()
        return done

    @complete_task.validator
    def validate_completion(self, inp: CompleteTaskInput) -> None:
        self.tasks.validate(inp, self.check_task_data)

    def check_task_data(self, task: TaskState, data: TaskData, inp: CompleteTaskInput) -> None:
        """Checks of a completion that need this workflow's state (none by default)."""

    def task_completed(self, done: TaskCompletion) -> None:
        """Called once a completion is recorded (nothing by default)."""

    async def written(self) -> None:
        """Awaited before an Update answers: a workflow with a read model returns once what
        the completion changed there is written (ARCHITECTURE.md: a 2xx is already visible).
        By default the task's own row, closed by `complete`, is all."""
