"""Releasing a payment run (workflows/payment_run.py): finance's release task, then a second,
different finance user's approval for a run above the policy amount, or one holding a payment
re-issued to a changed payee whatever its total (four eyes); each decision recorded in the
ledger's run row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from payloads.errors import FORBIDDEN
    from payloads.payments import PaymentRunStatus, RunSummary
    from payloads.tasks import CompleteTaskInput, Detail, TaskState
    from workflows.human_tasks import HumanTasks


class Release:
    def __init__(
        self, tasks: HumanTasks, st: PaymentRunStatus, record: Callable[..., Awaitable[None]]
    ) -> None:
        self.tasks = tasks
        self.st = st
        self.record = record  # the run's status in the ledger, then in its state

    async def granted(self, summary: RunSummary) -> bool:
        """True once finance released the run (and a second person approved it if needed)."""
        st = self.st
        st.status = "awaiting_release"
        totals: dict[str, Detail] = {
            "count": summary.count,
            "total": f"{summary.total:.2f}",
            **summary.totals,
        }
        release = await self.tasks.open(
            "payment_run_release",
            task_id=f"payment_run_release-{st.run_id}",
            title=f"代发批次待放行 / Release run {st.run_id}: "
            f"{summary.count} 笔 {summary.total:.2f} 元",
            details=totals,
        )
        done = await self.tasks.decided(release.task_id)
        if done.outcome != "release":
            return False
        st.released_by = done.actor
        await self.record("released", released_by=done.actor)
        if summary.total <= summary.approval_threshold and not summary.changed_payees:
            return True  # a changed payee needs the second pair of eyes whatever the total
        st.status = "awaiting_approval"
        approval = await self.tasks.open(
            "payment_run_approval",
            task_id=f"payment_run_approval-{st.run_id}",
            title=f"大额代发批次复核 / Second approval of run {st.run_id}: {summary.total:.2f} 元",
            details={
                **totals,
                "released_by": done.actor,
                **({"changed_payees": summary.changed_payees} if summary.changed_payees else {}),
                **(
                    {"payees_changed_by": ", ".join(summary.payee_changers)}
                    if summary.payee_changers
                    else {}
                ),
            },
        )
        second = await self.tasks.decided(approval.task_id)
        if second.outcome != "approve":
            return False
        st.approved_by = second.actor
        await self.record("approved", approved_by=second.actor)
        return True

    def check(self, task: TaskState, inp: CompleteTaskInput) -> None:
        """The approval's four eyes (the Update's validator)."""
        if task.kind != "payment_run_approval":
            return
        if inp.actor == self.st.released_by:
            raise ApplicationError(
                "four eyes: the approval must come from someone other than the releaser",
                type=FORBIDDEN,
            )
        summary = self.st.summary
        if summary is not None and inp.actor in summary.payee_changers:
            raise ApplicationError(
                "four eyes: the approval must come from someone other than who changed a payee",
                type=FORBIDDEN,
            )
