"""Human tasks (ARCHITECTURE.md "Human tasks"): the completion Update every task-owning
workflow serves, the task state it keeps, and the worklist activities' inputs."""

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import JsonValue

from domain.task_data import TaskData

# What a task row shows about its task (kind, amounts, dates, the case's month ...).
Detail = JsonValue


@dataclass(kw_only=True)
class CompleteTaskInput:
    """The completion Update's input: `data` as the client sent it, read into the kind's
    model (domain/task_data.py) by the Update's validator before anything changes."""

    task_id: str
    outcome: str
    actor: str
    actor_roles: list[str] = field(default_factory=list)
    reason: str | None = None
    data: dict[str, JsonValue] = field(default_factory=dict)


@dataclass(kw_only=True)
class TaskCompletion:
    task_id: str
    kind: str
    outcome: str
    actor: str
    completed_at: datetime
    data: TaskData
    reason: str | None = None


@dataclass(kw_only=True)
class TaskState:
    task_id: str
    kind: str
    group: str
    opened_at: datetime
    due_at: datetime | None = None
    escalated: bool = False
    completion: TaskCompletion | None = None
    original_group: str | None = None
    reminders: list[datetime] = field(default_factory=list)
    reminders_sent: list[datetime] = field(default_factory=list)
    # reminders under way (workflows/task_notices.py, patched): one a run left retrying is
    # taken up again by the next (continue-as-new), not skipped
    reminders_tried: list[datetime] = field(default_factory=list)
    escalation_noticed: bool = False


@dataclass(kw_only=True)
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
    details: dict[str, Detail] = field(default_factory=dict)
    provisional: bool = False  # due by a deadline computed without its year's calendar


@dataclass(kw_only=True)
class CloseTaskInput:
    task_id: str
    outcome: str
    actor: str
    at: datetime
    reason: str | None = None
    data: dict[str, JsonValue] = field(default_factory=dict)


@dataclass(kw_only=True)
class TaskEventInput:
    task_id: str
    at: datetime
    due_at: datetime | None = None
    provisional: bool = False  # (move_task_due) the moved deadline is still provisional
