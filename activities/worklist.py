"""Worklist activities: open and close human tasks (rows in `tasks`), with audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from db.engine import session_scope
from db.models import AuditEntry, Task
from db.queries import add_audit_once


@dataclass
class OpenTaskInput:
    task_id: str
    kind: str
    workflow_id: str
    case_id: str | None
    group: str
    priority: int
    title: str
    at: datetime
    due_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class CloseTaskInput:
    task_id: str
    outcome: str
    actor: str
    at: datetime
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class WorklistActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def open_task(self, inp: OpenTaskInput) -> None:
        """Insert the task row once; a retry finds it and does nothing."""
        with session_scope(self.engine) as session:
            if session.get(Task, inp.task_id) is not None:
                return
            session.add(
                Task(
                    task_id=inp.task_id,
                    kind=inp.kind,
                    case_id=inp.case_id,
                    workflow_id=inp.workflow_id,
                    group=inp.group,
                    priority=inp.priority,
                    title=inp.title,
                    details=inp.details,
                    created_at=inp.at,
                    due_at=inp.due_at,
                )
            )
            add_audit_once(
                session,
                AuditEntry(
                    key=f"task:{inp.task_id}:opened",
                    at=inp.at,
                    actor="system",
                    action="task_opened",
                    entity_type="task",
                    entity_id=inp.task_id,
                    data={"kind": inp.kind, "group": inp.group, "case_id": inp.case_id},
                ),
            )

    @activity.defn
    def close_task(self, inp: CloseTaskInput) -> None:
        """Mark the task completed with its outcome; a retry changes nothing."""
        with session_scope(self.engine) as session:
            task = session.get(Task, inp.task_id, with_for_update=True)
            if task is None:
                raise RuntimeError(f"task {inp.task_id} has no row (open_task not run?)")
            if task.status == "completed":
                return
            task.status = "completed"
            task.outcome = inp.outcome
            task.reason = inp.reason
            task.result = inp.data
            task.completed_at = inp.at
            task.completed_by = inp.actor
            session.add(task)
            add_audit_once(
                session,
                AuditEntry(
                    key=f"task:{inp.task_id}:completed",
                    at=inp.at,
                    actor=inp.actor,
                    action="task_completed",
                    entity_type="task",
                    entity_id=inp.task_id,
                    reason=inp.reason,
                    data={"outcome": inp.outcome, "data": inp.data},
                ),
            )
