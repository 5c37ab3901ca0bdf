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
    """The benefit months a closed case used: every month that began its course (checked
    in, missed, excused, waived) and, after a stop, every month that started before the
    stop's day. An exhausted entitlement used them all; months never reached are unused."""
    b = s.benefit
    if b is None:
        return 0
    stop_day = b.stop.effective_date if b.stop else None
    return sum(
        1
        for ms in b.months
        if ms.status != "open" or ms.owed or (stop_day is not None and ms.start < stop_day)
    )


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
    used = months if s.status in ("exhausted", "transferred_out") else used_months(s)
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
