"""Starting a day's reconciliation by hand (the daily timer does it at 06:00), shared by the
REST route and the finance page; and what the page shows of a reconciled day."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.runtime import Runtime
from api.services import ActionError
from db import payments, reconciliations, tasks
from db.models import ReconciliationRecord, Task, User
from payloads.reconciliation import ReconcileDayInput
from workflows import ids
from workflows.reconciliation import ReconciliationWorkflow

FINANCE = frozenset({"finance", "supervisor"})
ACTIVE = ("open", "claimed")


async def start_day(runtime: Runtime, client: Client, user: User, day: date) -> str:
    """Start (once) the reconciliation of a past day; its workflow ID either way."""
    if not user.role_set & FINANCE:
        raise ActionError(403, "reconciliation is for finance")
    if day >= await runtime.clock.today(client):
        raise ActionError(422, "only a past day", ["body", "day"])
    workflow_id = ids.day_reconciliation(day)
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            ReconciliationWorkflow.run,
            ReconcileDayInput(day=day),
            id=workflow_id,
            task_queue=runtime.settings.task_queue,
        )
    return workflow_id


@dataclass
class CategoryLine:
    """One category of a day: what our ledger settled against what the statement matched."""

    category: str
    ledger_count: int = 0
    ledger_amount: Decimal = Decimal("0.00")
    bank_amount: Decimal = Decimal("0.00")

    @property
    def difference(self) -> Decimal:
        return self.ledger_amount - self.bank_amount


@dataclass
class DayView:
    day: date
    record: ReconciliationRecord | None
    lines: list[CategoryLine] = field(default_factory=list)
    mismatches: list[tuple[dict[str, Any], Task | None]] = field(default_factory=list)

    @property
    def open_mismatches(self) -> int:
        return sum(1 for _, t in self.mismatches if t is None or t.status in ACTIVE)

    @property
    def books_agree(self) -> bool:
        """账账相符: reconciled without a mismatch, and every category's totals equal."""
        return (
            self.record is not None
            and not self.record.mismatches
            and all(line.difference == 0 for line in self.lines)
        )

    @property
    def ledger_total(self) -> Decimal:
        return sum((line.ledger_amount for line in self.lines), Decimal("0.00"))

    @property
    def bank_total(self) -> Decimal:
        return sum((line.bank_amount for line in self.lines), Decimal("0.00"))


def day_view(session: Session, day: date) -> DayView:
    record = reconciliations.find_day(session, day=day)
    lines: dict[str, CategoryLine] = {}
    for category, n, amount in payments.settled_by_category(session, day=day):
        lines[category] = CategoryLine(category, n, amount)
    mismatches: list[tuple[dict[str, Any], Task | None]] = []
    if record is not None:
        for category, amount in (record.paid_by_category or {}).items():
            line = lines.setdefault(category, CategoryLine(category))
            line.bank_amount = Decimal(str(amount))
        task_ids = [ids.mismatch_task(day, m["end_to_end_id"]) for m in record.mismatches]
        found = tasks.tasks_by_ids(session, task_ids=task_ids)
        mismatches = [(m, found.get(i)) for m, i in zip(record.mismatches, task_ids, strict=True)]
    return DayView(day, record, sorted(lines.values(), key=lambda x: x.category), mismatches)


@dataclass
class DayRow:
    record: ReconciliationRecord
    open_tasks: int


def recent_days(session: Session, limit: int = 31) -> list[DayRow]:
    """The latest reconciled days, newest first, with their still-open mismatch tasks."""
    records = reconciliations.latest_days(session, limit=limit)
    flows = [ids.day_reconciliation(r.day) for r in records]
    counts = reconciliations.open_mismatch_counts(session, workflow_ids=flows, active=ACTIVE)
    return [DayRow(r, counts.get(ids.day_reconciliation(r.day), 0)) for r in records]
