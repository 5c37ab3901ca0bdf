"""What the task and case pages read about a case: the read model, its timeline, its tasks
and its audit trail."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

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
    case = session.get(CaseRecord, case_id)
    if case is None:
        return None
    events = list(
        session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq))
        ).all()
    )
    view = CaseView(case, events)
    if full:
        view.tasks = list(
            session.exec(
                select(Task).where(Task.case_id == case_id).order_by(col(Task.created_at))
            ).all()
        )
        view.audit = audit_trail(session, case_id, [t.task_id for t in view.tasks])
        view.notifications = list(
            session.exec(
                select(Notification)
                .where(Notification.case_id == case_id)
                .order_by(col(Notification.created_at), col(Notification.id))
            ).all()
        )
        view.payments = list(
            session.exec(
                select(Payment)
                .where(Payment.case_id == case_id)
                .order_by(col(Payment.month), col(Payment.category))
            ).all()
        )
    return view


def audit_trail(session: Session, case_id: str, task_ids: list[str]) -> list[AuditEntry]:
    """Entries about the case itself and about each of its tasks, oldest first."""
    about_case = and_(col(AuditEntry.entity_type) == "case", col(AuditEntry.entity_id) == case_id)
    about_tasks = and_(
        col(AuditEntry.entity_type) == "task", col(AuditEntry.entity_id).in_(task_ids or ["-"])
    )
    stmt = select(AuditEntry).where(or_(about_case, about_tasks))
    return list(session.exec(stmt.order_by(col(AuditEntry.at), col(AuditEntry.id))).all())


def module_available(name: str) -> bool:
    """A service another engineer is adding: the pages offer it once it is in the tree."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
