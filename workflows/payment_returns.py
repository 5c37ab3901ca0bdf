"""PaymentReturnsWorkflow `payment-returns-<run_id>`: a payment run's returned payments, in a
history that stays bounded however many there are (issue 13 §6: a mass return of 6,000 once
took the run past Temporal's event limit, a coroutine and 8+ events each).

The run (workflows/payment_run.py) starts it with the first page of returns and signals the
next pages, then that it has reported the last. Each page becomes finance's
`payment_returned` tasks in one activity; the decisions (re-issue to a corrected account, or
cancel with a reason) arrive as the tasks' `complete_task` Updates and are applied together,
one activity for those that arrived meanwhile. After `DECISIONS_PER_RUN` decisions the
workflow continues as new with the open tasks' IDs (Updates arriving meanwhile are refused
as RETRY_LATER and sent again by the API, to the new run): each run's history is bounded by
that, the parent's by its pages. Done once every return is decided and applied.

A decision that fails permanently becomes a supervisor's `system_error` task
(workflows/system_errors.py), numbered after those of the chain's earlier runs (carried in
`ReturnsInput.system_errors`): the counter once restarted with each run, and a second run's
`-1` met the first run's completed row and waited for a task nobody could see."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from activities.worklist import WorklistActivities
    from domain.task_data import PaymentReturnedData, TaskData
    from domain.tasks import TASK_KINDS
    from payloads.errors import RETRY_LATER
    from payloads.payments import AppliedChange, ReissueInput, ReturnsInput
    from payloads.tasks import CompleteTaskInput, OpenTaskInput, TaskCompletion, TaskState
    from workflows.human_tasks import HumanTasks, TaskOwner, data_of
    from workflows.system_errors import until_fixed

KIND = "payment_returned"
PREFIX = f"{KIND}-"
PAGE = 500  # tasks opened by one activity
DECISIONS_PER_RUN = 250  # then continue as new
SHORT = timedelta(seconds=30)
BULK = timedelta(minutes=5)


def task_id_of(end_to_end_id: str) -> str:
    return f"{PREFIX}{end_to_end_id}"


def reissue_of(end_to_end_id: str, done: TaskCompletion, at: datetime) -> ReissueInput:
    """What finance decided on a returned payment, for `reissue_or_cancel`."""
    acct = data_of(done, PaymentReturnedData).bank_account
    return ReissueInput(
        end_to_end_id=end_to_end_id,
        at=at,
        actor=done.actor,
        bank_code=acct.bank_code if acct else None,
        account_number=acct.account_number if acct else None,
        account_name=acct.account_name if acct else None,
        cancel_reason=(done.reason or "") if done.outcome == "cancel" else None,
    )


def open_input(workflow_id: str, ch: AppliedChange, at: datetime) -> OpenTaskInput:
    spec = TASK_KINDS[KIND]
    return OpenTaskInput(
        task_id=task_id_of(ch.end_to_end_id),
        kind=KIND,
        workflow_id=workflow_id,
        case_id=None,
        group=spec.group,
        priority=spec.priority,
        title=f"代发退回 / Payment returned ({ch.reason}): {ch.end_to_end_id}",
        at=at,
        details={"case_id": ch.case_id, "month": ch.month, "reason": ch.reason},
    )


@workflow.defn
class PaymentReturnsWorkflow(TaskOwner):
    @workflow.init
    def __init__(self, inp: ReturnsInput) -> None:
        self.inp = inp
        self.queued: list[AppliedChange] = list(inp.queued)
        self.all_reported = inp.all_reported
        self.task_states: dict[str, TaskState] = {}
        self.tasks = HumanTasks(workflow.info().workflow_id, None, self.task_states)
        self.tasks.earlier_system_errors = inp.system_errors
        self.per_run = inp.decisions_per_run or DECISIONS_PER_RUN
        for task_id in inp.open_task_ids:  # rows exist: only the state to validate against
            self.task_states[task_id] = TaskState(
                task_id=task_id, kind=KIND, group=TASK_KINDS[KIND].group, opened_at=workflow.now()
            )
        self.decided: list[ReissueInput] = []
        self.handled = inp.handled

    @workflow.signal
    def returned(self, changes: list[AppliedChange]) -> None:
        """A page of the run's returns (a return named twice gets one task)."""
        self.queued.extend(changes)

    @workflow.signal
    def reported_all(self) -> None:
        """The run has no more returns to report."""
        self.all_reported = True

    @workflow.query
    def counts(self) -> dict[str, int]:
        return {"open": len(self._open()), "handled": self.handled, "queued": len(self.queued)}

    def check_task_data(self, task: TaskState, data: TaskData, inp: CompleteTaskInput) -> None:
        """Past DECISIONS_PER_RUN no new decision is taken here: the Updates under way finish,
        the workflow continues as new, and the refused ones are sent again to the new run
        (the API does it: RETRY_LATER). Otherwise some Update would always be under way and
        the history never end."""
        if task.kind == KIND and self._taken() >= self.per_run:
            raise ApplicationError("continuing as new: send again", type=RETRY_LATER)

    def _taken(self) -> int:
        """Decisions on returns accepted by this run (a completion is set before its write).
        A supervisor's system_error task is not one: the run waits for it before it can
        continue as new, so it is always taken."""
        return sum(
            1 for s in self.task_states.values() if s.kind == KIND and s.completion is not None
        )

    def task_completed(self, done: TaskCompletion) -> None:
        if done.kind != KIND:  # a supervisor's system_error task: until_fixed awaits it
            return
        self.decided.append(reissue_of(done.task_id.removeprefix(PREFIX), done, done.completed_at))

    def _open(self) -> list[str]:
        return [t for t, s in self.task_states.items() if s.completion is None]

    def _finished(self) -> bool:
        return self.all_reported and not self.queued and not self._open() and not self.decided

    @workflow.run
    async def run(self, inp: ReturnsInput) -> int:
        while True:
            await workflow.wait_condition(
                lambda: (
                    bool(self.queued or self.decided)
                    or self._finished()
                    or self._taken() >= self.per_run
                )
            )
            if self.queued:
                await self._open_page()
            elif self.decided:
                await self._apply_decisions()
            elif self._finished():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self.decided:
                    return self.handled
            else:  # bounded: wait for the Updates under way, then a fresh history
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self.decided or self.queued:
                    continue
                workflow.continue_as_new(
                    ReturnsInput(
                        run_id=inp.run_id,
                        open_task_ids=self._open(),
                        all_reported=self.all_reported,
                        handled=self.handled,
                        system_errors=self.tasks.earlier_system_errors
                        + len(self.tasks.of_kind("system_error")),
                        decisions_per_run=inp.decisions_per_run,
                    )
                )

    async def _open_page(self) -> None:
        page, self.queued = self.queued[:PAGE], self.queued[PAGE:]
        now, wid = workflow.now(), workflow.info().workflow_id
        fresh = []
        for ch in page:
            task_id = task_id_of(ch.end_to_end_id)
            if task_id not in self.task_states:
                self.task_states[task_id] = TaskState(
                    task_id=task_id, kind=KIND, group=TASK_KINDS[KIND].group, opened_at=now
                )
                fresh.append(open_input(wid, ch, now))
        if fresh:
            await workflow.execute_activity_method(
                WorklistActivities.open_tasks, fresh, start_to_close_timeout=BULK
            )

    async def _apply_decisions(self) -> None:
        batch, self.decided = self.decided, []
        await until_fixed(
            self.tasks,
            "reissue_or_cancel_many",
            lambda: workflow.execute_activity_method(
                PaymentActivities.reissue_or_cancel_many, batch, start_to_close_timeout=BULK
            ),
        )
        self.handled += len(batch)
