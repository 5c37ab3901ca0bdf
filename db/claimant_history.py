"""Claimant history (issue 11 §5): the unused months each closed case leaves its claimant,
keyed by the identity hash (`person_ref`), and what a later case carries from them
(社会保险法 art. 46; DOMAIN.md stage 4). Apart from the lookup of a person's open cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from db.recovery import ClaimantHistory
from domain.recovery import unused_months


@dataclass(frozen=True)
class Carry:
    """What a new case of the person may add: the months and the cases they come from."""

    months: int = 0
    from_cases: list[str] = field(default_factory=list)


def carry_for(session: Session, person_ref: str) -> Carry:
    """The unused months of the person's closed cases not yet carried into another case."""
    rows = session.exec(
        select(ClaimantHistory)
        .where(
            ClaimantHistory.person_ref == person_ref,
            col(ClaimantHistory.carried_into).is_(None),
            ClaimantHistory.unused_months > 0,
        )
        .order_by(col(ClaimantHistory.id))
    ).all()
    return Carry(sum(r.unused_months for r in rows), [r.case_id for r in rows])


def record_closure(
    session: Session,
    *,
    case_id: str,
    person_ref: str,
    region_code: str,
    status: str,
    entitlement_months: int,
    used_months: int,
    carried_in: int,
    carried_from: list[str],
    closed_on: date | None,
    at: datetime,
) -> ClaimantHistory:
    """Once per case (a retry finds the row): its unused months; the earlier cases whose
    months it carried are marked carried into it, so they are never added twice."""
    found = session.exec(select(ClaimantHistory).where(ClaimantHistory.case_id == case_id)).first()
    if found is not None:
        return found
    row = ClaimantHistory(
        case_id=case_id,
        person_ref=person_ref,
        region_code=region_code,
        status=status,
        entitlement_months=entitlement_months,
        used_months=min(used_months, entitlement_months),
        unused_months=unused_months(entitlement_months, used_months),
        carried_in=carried_in,
        carried_from=list(carried_from),
        closed_on=closed_on,
        at=at,
    )
    session.add(row)
    if entitlement_months and carried_from:
        for earlier in session.exec(
            select(ClaimantHistory).where(
                col(ClaimantHistory.case_id).in_(carried_from),
                col(ClaimantHistory.carried_into).is_(None),
            )
        ).all():
            earlier.carried_into = case_id
            session.add(earlier)
    return row


def history_of(session: Session, case_ids: list[str]) -> list[ClaimantHistory]:
    """The history rows of these cases (where a case's carried months came from)."""
    if not case_ids:
        return []
    return list(
        session.exec(
            select(ClaimantHistory).where(col(ClaimantHistory.case_id).in_(case_ids))
        ).all()
    )
