"""Case read-model activity: upsert the `cases` row and append new timeline events."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from activities.claimant_history import record_if_closed
from core.identity import IdentityKeys
from db import cases, open_cases
from db.engine import session_scope
from db.models import CaseEvent, CaseRecord
from domain.identifiers import mask_national_id
from domain.redaction import redact_accounts
from payloads.case_state import CLOSED_STATUSES, CaseState, Decision
from payloads.records import SyncCaseInput


class CaseActivities:
    def __init__(self, engine: Engine, keys: IdentityKeys) -> None:
        self.engine = engine
        self.keys = keys

    @activity.defn
    def sync_case(self, inp: SyncCaseInput) -> None:
        """Idempotent: events are keyed by (case_id, seq); an older snapshot never
        overwrites a newer one."""
        s = inp.state
        with session_scope(self.engine) as session:
            row = cases.lock_case(session, case_id=s.case_id)
            first = row is None
            if row is None:
                row = CaseRecord(
                    case_id=s.case_id, region_code="", status="", stage="", opened_at=s.opened_at
                )
            if s.event_seq >= row.synced_seq:
                _apply(row, s, self.keys)
                record_if_closed(session, s, self.keys, inp.at)
                row.synced_seq = s.event_seq
                row.updated_at = inp.at
                session.add(row)
                _register(session, row, s, first)
            if s.unsynced_events:
                seqs = [e.seq for e in s.unsynced_events]
                have = cases.event_seqs_kept(session, case_id=s.case_id, seqs=seqs)
                for e in s.unsynced_events:
                    if e.seq not in have:
                        session.add(
                            CaseEvent(
                                case_id=s.case_id,
                                seq=e.seq,
                                at=e.at,
                                type=e.type,
                                actor=e.actor,
                                data=redact_accounts(e.data),
                            )
                        )


# a case in one of these has ended: its person may open a new case (a lapsed case still
# takes a late registration, so it stays open until one of LAPSE_FINAL ends it)
ENDED_STATUSES = frozenset({"rejected", "stopped", "exhausted", "transferred_out"})
LAPSE_FINAL = frozenset({"late_registration_window_closed", "late_registration_refused"})


def _ended(s: CaseState) -> bool:
    if s.stage == "closed" or s.status in ENDED_STATUSES:
        return True
    return s.status == "lapsed" and any(e.type in LAPSE_FINAL for e in s.unsynced_events)


def _register(session: Session, row: CaseRecord, s: CaseState, first: bool) -> None:
    """Keep the register of open cases (db/open_cases.py) with the case record, in its
    transaction: an ended case leaves it; a case's first record puts it there unless the
    person already has an open case (the API claimed it before the start; a case started
    otherwise, by a script or a test, is registered here)."""
    if _ended(s):
        open_cases.release_in(session, s.case_id)
        return
    if not first or row.national_id_hash is None:
        return
    report, reg = s.intake.employer_report, s.intake.registration
    open_cases.keep_in(
        session,
        {
            "identity_hash": row.national_id_hash,
            "case_id": s.case_id,
            "report_separation": report.separation_date if report else None,
            "registration_separation": reg.separation_date if reg else None,
            "employer_uscc": (report.uscc if report else None)
            or (reg.employer_uscc if reg else None),
            "opened_at": s.opened_at,
        },
    )


def _provisional_years(s: CaseState) -> str | None:
    """The years the case's running deadlines were computed without ("2027 2031"), or None:
    what finds the case when one of them is loaded (db.calendar_years.cases_to_recompute)."""
    if s.status in CLOSED_STATUSES:
        return None
    years = {
        y
        for d in s.deadlines.values()
        if d.met_on is None and not d.missed
        for y in d.pending_years()
    }
    return " ".join(str(y) for y in sorted(years)) or None


def _apply(row: CaseRecord, s: CaseState, keys: IdentityKeys) -> None:
    report, reg = s.intake.employer_report, s.intake.registration
    national_id = (reg.national_id if reg else None) or (report.national_id if report else None)
    row.region_code = s.region_code or row.region_code
    row.status = s.status
    row.stage = s.stage
    row.closure_reason = s.closure_reason
    row.claimant_name = (reg.name if reg else None) or (report.claimant_name if report else None)
    if national_id:
        row.national_id_masked = mask_national_id(national_id)
        row.national_id_hash = keys.search_hash(national_id)
    if report:
        row.employer_name = report.employer_name
        row.employer_uscc = report.uscc
        row.notice_date = report.notice_date
    elif reg and reg.notice_date:
        row.notice_date = reg.notice_date
    row.separation_date = (
        s.intake.separation_date
        or (report.separation_date if report else None)
        or (reg.separation_date if reg else None)
    )
    row.employer_report_received = s.intake.employer_report_received
    row.registration_date = s.intake.registration_date
    dl = s.deadlines
    row.employer_report_due = dl["employer_report"].due_date if "employer_report" in dl else None
    row.registration_due = dl["registration"].due_date if "registration" in dl else None
    row.review_due = dl["review"].due_date if "review" in dl else None
    row.deadline_details = {
        kind: {
            "start": d.start.isoformat(),
            "due_date": d.due_date.isoformat(),
            "reminders": [r.isoformat() for r in d.reminders],
            "reminders_sent": [r.isoformat() for r in d.reminders_sent],
            "warnings": list(d.warnings),
            "met_on": d.met_on.isoformat() if d.met_on else None,
            "missed": d.missed,
            "policy_version": d.policy_version,
            "extensions": [e.as_record() for e in d.extensions],
            "provisional": bool(d.pending_years()),
            "provisional_years": d.pending_years(),
        }
        for kind, d in dl.items()
    }
    row.provisional_years = _provisional_years(s)
    review = s.review
    decision = review.decision if review else None
    ent = decision.entitlement if decision else None
    row.entitlement_months = ent.months if ent else None
    row.monthly_amount = ent.monthly_amount if ent else None
    row.entitlement_start = ent.start_date if ent else None
    row.entitlement_end = ent.end_date if ent else None
    row.decision = _decision(decision) if decision else None
    p = review.proposal if review else None
    row.proposal = (
        {
            "eligible": p.eligible,
            "checks": [asdict(c) for c in p.checks],
            "months": p.months,
            "monthly_amount": str(p.monthly_amount),
            "start_date": p.start_date.isoformat(),
            "end_date": p.end_date.isoformat() if p.end_date else None,
            "policy_version": p.policy_version,
            "carried_months": p.carried_months,
            "carried_from": list(p.carried_from),
        }
        if p
        else None
    )


def _decision(d: Decision) -> dict[str, Any]:
    """The decision as the notices read it (api/services/notices.py)."""
    ent = d.entitlement
    return {
        "outcome": d.outcome,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at.isoformat(),
        "reasons": list(d.reasons),
        "reason_text": d.reason_text,
        "contribution_months": d.contribution_months,
        "corrected_from": d.corrected_from,
        "entitlement": {
            "months": ent.months,
            "monthly_amount": str(ent.monthly_amount),
            "start_date": ent.start_date.isoformat(),
            "end_date": ent.end_date.isoformat(),
        }
        if ent
        else None,
        "policy_version": d.policy_version,
        "determination_key": d.determination_key,
    }
