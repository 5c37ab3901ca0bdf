"""Cases: the read model kept by the case workflows' activities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.access import check_case_region, check_case_region_off_loop, region_filter
from api.deps import (
    MAX_DB_INT,
    NOT_FOUND,
    REFUSED,
    STAFF,
    RuntimeDep,
    SessionDep,
    StaffUser,
    SupervisorUser,
    TemporalClientDep,
)
from api.errors import http_error
from api.schemas import (
    AuditOut,
    CaseDetail,
    CaseEventOut,
    CaseSummary,
    DeadlineOut,
    Deadlines,
    DeadlinesProvisional,
    DeterminationOut,
    Entitlement,
    ExtendDeadlineIn,
    TaskOut,
)
from api.services import ActionError
from api.services import case_search as search
from api.services import cases as cases_actions
from db import cases
from db import tasks as task_rows
from db.models import CaseRecord

router = APIRouter(prefix="/cases", tags=["cases"], responses=STAFF)


def summary_of(row: CaseRecord) -> CaseSummary:
    return CaseSummary(**_summary_fields(row))


def _summary_fields(row: CaseRecord) -> dict[str, Any]:
    return dict(
        case_id=row.case_id,
        region_code=row.region_code,
        status=row.status,
        stage=row.stage,
        closure_reason=row.closure_reason,
        claimant_name=row.claimant_name,
        national_id_masked=row.national_id_masked,
        employer_name=row.employer_name,
        separation_date=row.separation_date,
        deadlines=Deadlines(
            employer_report=row.employer_report_due,
            registration=row.registration_due,
            review=row.review_due,
        ),
        deadlines_provisional=DeadlinesProvisional(
            **{
                kind: bool(d.get("provisional"))
                for kind, d in (row.deadline_details or {}).items()
                if kind in DeadlinesProvisional.model_fields
            }
        ),
        updated_at=row.updated_at,
    )


def _page(
    session: Session,
    filters: cases.CaseFilters,
    response: Response,
    limit: int,
    offset: int,
) -> list[CaseSummary]:
    rows, total = cases.find_cases(session, filters=filters, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return [summary_of(r) for r in rows]


@router.get("", response_model=list[CaseSummary])
def list_cases(
    session: SessionDep,
    user: StaffUser,
    response: Response,
    stage: str | None = None,
    status: str | None = None,
    region_code: str | None = None,
    q: Annotated[str | None, Query(description="claimant name or case ID prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
) -> list[CaseSummary]:
    """Cases, newest activity first; identity numbers masked. Total in `X-Total-Count`."""
    name_or_id = None
    if q:
        try:
            name_or_id = search.name_or_case_id(q, ["query", "q"])
        except ActionError as err:
            raise http_error(err) from err
    filters = cases.CaseFilters(
        stage=stage,
        status=status,
        region_code=region_code,
        regions=region_filter(user),
        name_or_id=name_or_id,
    )
    return _page(session, filters, response, limit, offset)


class CaseSearchIn(BaseModel):
    national_id: str = Field(description="the full 18-character identity number")


@router.post("/search", response_model=list[CaseSummary])
def search_cases(
    body: CaseSearchIn,
    session: SessionDep,
    runtime: RuntimeDep,
    user: StaffUser,
    response: Response,
) -> list[CaseSummary]:
    """Find a person's cases by identity number (in the body, so it stays out of URLs)."""
    try:
        found = search.national_id_hash(runtime, body.national_id, ["body", "national_id"])
    except ActionError as err:
        raise http_error(err) from err
    filters = cases.CaseFilters(national_id_hash=found, regions=region_filter(user))
    return _page(session, filters, response, 500, 0)


@router.get("/{case_id}", response_model=CaseDetail, responses=NOT_FOUND)
def get_case(case_id: str, session: SessionDep, user: StaffUser) -> CaseDetail:
    """One case: status, deadlines, proposal, entitlement, tasks and its timeline."""
    row = check_case_region(session, user, case_id)
    if row is None:
        raise HTTPException(404, f"no case {case_id}")
    events = cases.events_of(session, case_id=case_id)
    tasks = task_rows.tasks_of_case(session, case_id=case_id)
    determinations = cases.determinations_of(session, case_id=case_id)
    payments = cases.payments_of(session, case_id=case_id)
    entity_ids = [case_id, *(t.task_id for t in tasks)]
    audit = cases.audit_of_entities(session, entity_ids=entity_ids)
    entitlement = None
    if row.entitlement_months is not None and row.entitlement_start and row.monthly_amount:
        entitlement = Entitlement(
            months=row.entitlement_months,
            monthly_amount=f"{row.monthly_amount:.2f}",
            start_date=row.entitlement_start,
            end_date=row.entitlement_end,
        )
    return CaseDetail(
        **_summary_fields(row),
        notice_date=row.notice_date,
        employer_report_received=row.employer_report_received,
        registration_date=row.registration_date,
        deadline_details=row.deadline_details,
        proposal=row.proposal,
        decision=row.decision,
        entitlement=entitlement,
        payments=[
            {
                "month": p.month,
                "period_start": p.period_start,
                "period_end": p.period_end,
                "category": p.category,
                "amount": f"{p.amount:.2f}",
                "status": p.status,
                "end_to_end_id": p.end_to_end_id,
                "returned_reason": p.returned_reason,
            }
            for p in payments
        ],
        tasks=[TaskOut.model_validate(t, from_attributes=True) for t in tasks],
        events=[CaseEventOut.model_validate(e, from_attributes=True) for e in events],
        determinations=[
            DeterminationOut.model_validate(d, from_attributes=True) for d in determinations
        ],
        audit=[AuditOut.model_validate(a, from_attributes=True) for a in audit],
    )


@router.post("/{case_id}/deadlines/{kind}/extend", response_model=DeadlineOut, responses=REFUSED)
async def extend_deadline(
    case_id: str,
    kind: str,
    body: ExtendDeadlineIn,
    user: SupervisorUser,
    runtime: RuntimeDep,
    client: TemporalClientDep,
) -> DeadlineOut:
    """Supervisors: move a running deadline (employer_report, registration, review)."""
    await check_case_region_off_loop(runtime, user, case_id)
    try:
        dl = await cases_actions.extend_deadline(
            runtime, client, user, case_id, kind, body.days, body.reason
        )
    except ActionError as err:
        raise http_error(err) from err
    return DeadlineOut(
        kind=dl.kind, due_date=dl.due_date, extensions=[e.as_record() for e in dl.extensions]
    )
