"""Worklist activities: open and close human tasks (rows in `tasks`), with audit entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from db import audit, tasks, users
from db.engine import session_scope
from db.models import Task, User
from domain.redaction import redact_accounts
from domain.tasks import escalated_priority
from notifications.outbox import Outbox
from payloads.notify import NotifyInput
from payloads.tasks import CloseTaskInput, OpenTaskInput, TaskEventInput


class WorklistActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def open_task(self, inp: OpenTaskInput) -> None:
        """Insert the task row once; a retry finds it and does nothing."""
        with session_scope(self.engine) as session:
            _open(session, inp)

    @activity.defn
    def open_tasks(self, inputs: list[OpenTaskInput]) -> int:
        """Many tasks in one transaction (a mass return's page); each row once. How many."""
        with session_scope(self.engine) as session:
            for inp in inputs:
                _open(session, inp)
        return len(inputs)

    @activity.defn
    def close_task(self, inp: CloseTaskInput) -> None:
        """Mark the task completed with its outcome; a retry changes nothing."""
        with session_scope(self.engine) as session:
            task = tasks.lock_task(session, task_id=inp.task_id)
            if task is None:
                raise RuntimeError(f"task {inp.task_id} has no row (open_task not run?)")
            if task.status == "completed":
                return
            task.status = "completed"
            task.outcome = inp.outcome
            task.reason = inp.reason
            task.result = redact_accounts(inp.data)  # an account's tail, never the number
            task.completed_at = inp.at
            task.completed_by = inp.actor
            session.add(task)
            audit.write(
                session,
                key=f"task:{inp.task_id}:completed",
                at=inp.at,
                actor=inp.actor,
                action="task_completed",
                entity_type="task",
                entity_id=inp.task_id,
                reason=inp.reason,
                data={"outcome": inp.outcome, "data": task.result},
                once=True,
            )


class TaskNoticeActivities:
    """Reminders, escalations and due-date moves of open tasks, with the people told."""

    def __init__(self, engine: Engine, notifier: Outbox) -> None:
        self.engine = engine
        self.notifier = notifier

    @activity.defn
    def remind_task(self, inp: TaskEventInput) -> int:
        """Remind the holder (or the group) that a task is nearly due; once per instant."""
        with session_scope(self.engine) as session:
            task = tasks.find_task(session, task_id=inp.task_id)
            if task is None or task.status == "completed":
                return 0
            task.reminded_at = inp.at
            session.add(task)
            people = _people(session, task.assignee, task.group)
        return self._tell(people, task, "task_reminder", f"reminder:{inp.at.isoformat()}", inp.at)

    @activity.defn
    def escalate_task(self, inp: TaskEventInput) -> int:
        """At the due time: flag it, move it to the supervisors' queue, raise its priority,
        and tell the supervisors and the holder."""
        with session_scope(self.engine) as session:
            task = tasks.lock_task(session, task_id=inp.task_id)
            if task is None or task.status == "completed":
                return 0
            if not task.escalated:
                task.original_group = task.group
                task.group = "supervisor"
                task.escalated = True
                task.escalated_at = inp.at
                task.priority = escalated_priority(task.priority)
                session.add(task)
                audit.write(
                    session,
                    key=f"task:{task.task_id}:escalated",
                    at=inp.at,
                    actor="system",
                    action="task_escalated",
                    entity_type="task",
                    entity_id=task.task_id,
                    reason="overdue",
                    data={"from_group": task.original_group, "due_at": str(task.due_at)},
                    once=True,
                )
            people = _people(session, None, "supervisor")
            if task.assignee:
                people += _people(session, task.assignee, "")
        return self._tell(people, task, "task_escalated", "escalated", inp.at)

    @activity.defn
    def move_task_due(self, inp: TaskEventInput) -> None:
        """A deadline was extended or recomputed: the task's due time follows it."""
        with session_scope(self.engine) as session:
            task = tasks.find_task(session, task_id=inp.task_id)
            if task is None:
                return
            if task.provisional != inp.provisional:
                task.provisional = inp.provisional
                session.add(task)
            if task.due_at == inp.due_at:
                return
            audit.write(
                session,
                key=f"task:{task.task_id}:due_moved:{inp.due_at}",
                at=inp.at,
                actor="system",
                action="task_due_moved",
                entity_type="task",
                entity_id=task.task_id,
                data={"from": str(task.due_at), "to": str(inp.due_at)},
                once=True,
            )
            task.due_at = inp.due_at
            session.add(task)

    def _tell(self, people: list[User], task: Task, template: str, what: str, at: datetime) -> int:
        for person in people:
            self.notifier.send_once(
                NotifyInput(
                    key=f"task:{task.task_id}:{what}:{person.username}",
                    template=template,
                    at=at,
                    case_id=task.case_id,
                    email=person.email,
                    params={
                        "name": person.full_name,
                        "task_id": task.task_id,
                        "title": task.title,
                        "due_at": task.due_at.isoformat() if task.due_at else "-",
                    },
                )
            )
        return len(people)


def _people(session: Session, username: str | None, group: str) -> list[User]:
    """The task's holder if it has one, else every active member of the group."""
    if username:
        user = users.find_user(session, username=username)
        return [user] if user is not None and user.active else []
    if not group:
        return []
    return [u for u in users.active_users(session) if group in u.role_set]


def _open(session: Session, inp: OpenTaskInput) -> None:
    """Insert the task row and its audit entry once; a retry finds it and does nothing."""
    if tasks.find_task(session, task_id=inp.task_id) is not None:
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
            details=redact_accounts(inp.details),
            created_at=inp.at,
            due_at=inp.due_at,
            provisional=inp.provisional,
        )
    )
    audit.write(
        session,
        key=f"task:{inp.task_id}:opened",
        at=inp.at,
        actor="system",
        action="task_opened",
        entity_type="task",
        entity_id=inp.task_id,
        data={"kind": inp.kind, "group": inp.group, "case_id": inp.case_id},
        once=True,
    )
