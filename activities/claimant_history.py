"""Claimant history (issue 11 §5): what a new case carries from the person's earlier ones,
and what a closed case leaves (社会保险法 art. 46; DOMAIN.md stage 4 and "Benefit months")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from core.identity import IdentityKeys
from db.claimant_history import Carry, carry_for, record_closure
from db.engine import session_scope
from payloads.case_state import CLOSED_STATUSES, CaseState


class CarriedMonths:
    """Reads a person's unused months for the entitlement (RuleActivities.assess_claim)."""

    def __init__(self, engine: Engine, keys: IdentityKeys) -> None:
        self.engine = engine
        self.keys = keys

    def carry(self, national_id: str) -> Carry:
        with session_scope(self.engine) as session:
            return carry_for(session, self.keys.search_hash(national_id))


def used_months(s: CaseState) -> int:
    """The benefit months a closed case used. After a stop (two unexcused misses, or a stop
    event: workflows/claim/stops.py), every month that started before the stop's day, checked
    in or not; months from the day on are unused (their obligations were cancelled). Without
    a stop, every month that began its course (checked in, missed, excused, waived). An
    exhausted entitlement used them all; months never reached are unused."""
    b = s.benefit
    if b is None:
        return 0
    stop_day = b.stop.effective_date if b.stop else (b.event.effective_date if b.event else None)
    if stop_day is not None:
        return sum(1 for ms in b.months if ms.start < stop_day)
    return sum(1 for ms in b.months if ms.status != "open" or ms.owed)


def _paid_as_lump_sum(s: CaseState) -> bool:
    """Self-employment: the months not begun were paid at once (seed 000 art. 35)."""
    ev = s.benefit.event if s.benefit else None
    return ev is not None and ev.type == "self_employed" and ev.status != "refused"


def record_if_closed(session: Session, s: CaseState, keys: IdentityKeys, at: datetime) -> None:
    """When the case is closed (any end): its row of the claimant's history, once."""
    if s.status not in CLOSED_STATUSES:
        return
    reg, report = s.intake.registration, s.intake.employer_report
    national_id = (reg.national_id if reg else None) or (report.national_id if report else None)
    if not national_id:
        return
    decision = s.review.decision if s.review else None
    ent = decision.entitlement if decision else None
    months = ent.months if ent else 0
    # exhausted: all used; transferred out: the rest goes on with the destination agency's
    # case (DOMAIN.md stage 9), so nothing is left here for a later case to add
    all_used = s.status in ("exhausted", "transferred_out") or _paid_as_lump_sum(s)
    used = months if all_used else used_months(s)
    record_closure(
        session,
        case_id=s.case_id,
        person_ref=keys.search_hash(national_id),
        region_code=s.region_code or "",
        status=s.status,
        entitlement_months=months,
        used_months=used,
        carried_in=ent.carried_months if ent else 0,
        carried_from=list(ent.carried_from) if ent else [],
        closed_on=at.date(),
        at=at,
    )
