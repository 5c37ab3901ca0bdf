"""The case page's recovery part (balances) and where its months came from (issue 11 §4-5)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.services.recoveries import balance_out
from db.claimant_history import history_of
from db.models import CaseRecord
from db.recoveries import case_balances


def recovery_parts(session: Session, case: CaseRecord) -> dict[str, Any]:
    """`recoveries`: the case's recoveries with balances; `carried`: the earlier cases whose
    unused months its entitlement added, with how many each (社会保险法 art. 46)."""
    proposal = case.proposal or {}
    sources = [str(c) for c in proposal.get("carried_from") or []]
    rows = {r.case_id: r for r in history_of(session, sources)}
    return {
        "recoveries": [balance_out(b) for b in case_balances(session, case.case_id)],
        "carried": [(c, rows[c].unused_months if c in rows else None) for c in sources],
        "carried_months": int(proposal.get("carried_months") or 0),
    }
