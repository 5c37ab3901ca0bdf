"""What the task and case pages read about a case: the read model, its timeline, its tasks
and its audit trail."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from db import cases, tasks
from db.models import AuditEntry, CaseEvent, CaseRecord, Notification, Payment, Task

DEADLINE_KINDS = ("employer_report", "registration", "review")


@dataclass
class CaseView:
    case: CaseRecord
    events: list[CaseEvent]
    tasks: list[Task] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    @property
    def deadlines(self) -> list[tuple[str, dict[str, Any]]]:
        """(kind, details) in the order the case meets them, with extensions from events."""
        details = self.case.deadline_details or {}
        out = []
        for kind in DEADLINE_KINDS:
            if kind not in details:
                continue
            d = dict(details[kind])
            d.setdefault("extensions", [])
            if not d["extensions"]:
                d["extensions"] = [
                    {**e.data, "by": e.actor, "at": e.at.isoformat() if e.at else ""}
                    for e in self.events
                    if e.type == "deadline_extended" and e.data.get("kind") == kind
                ]
            out.append((kind, d))
        return out

    @property
    def running_deadlines(self) -> list[str]:
        return [k for k, d in self.deadlines if not d.get("met_on") and not d.get("missed")]


def load_case(session: Session, case_id: str, *, full: bool = False) -> CaseView | None:
    case = cases.find_case(session, case_id=case_id)
    if case is None:
        return None
    view = CaseView(case, cases.events_of(session, case_id=case_id))
    if full:
        view.tasks = tasks.tasks_of_case(session, case_id=case_id)
        view.audit = cases.audit_trail(
            session, case_id=case_id, task_ids=[t.task_id for t in view.tasks]
        )
        view.notifications = cases.notifications_of(session, case_id=case_id)
        view.payments = cases.payments_of(session, case_id=case_id)
    return view


def module_available(name: str) -> bool:
    """A service another engineer is adding: the pages offer it once it is in the tree."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
