"""Finding cases, shared by the REST routes and the staff pages: by claimant name or case ID
(may go in a URL), or by a full identity number (only ever in a request body: it is matched
through its keyed hash and never stored, shown or logged in clear)."""

from __future__ import annotations

import re

from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.runtime import Runtime
from api.services import ActionError
from db.models import CaseRecord
from domain.identifiers import InvalidIdentifier, validate_national_id

# the shape of an identity number, valid or mistyped: neither may travel in a URL
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9Xx]$")


def looks_like_national_id(text: str) -> bool:
    """18 characters shaped like an identity number (spaces ignored), checksum or not."""
    return bool(_ID_SHAPE.match("".join(text.split())))


def cases_filtered(
    *, stage: str | None = None, status: str | None = None, region_code: str | None = None
) -> SelectOfScalar[CaseRecord]:
    stmt = select(CaseRecord)
    if stage:
        stmt = stmt.where(CaseRecord.stage == stage)
    if status:
        stmt = stmt.where(CaseRecord.status == status)
    if region_code:
        stmt = stmt.where(CaseRecord.region_code == region_code)
    return stmt


def by_name_or_case_id(
    stmt: SelectOfScalar[CaseRecord], q: str, loc: list[str]
) -> SelectOfScalar[CaseRecord]:
    """Cases whose claimant name contains `q` or whose ID starts with it. An identity number
    is refused (ActionError 422 at `loc`): it belongs in a search body, never a URL."""
    q = q.strip()
    if looks_like_national_id(q):
        raise ActionError(
            422, "identity numbers never go in a URL: use POST /api/v1/cases/search", loc
        )
    return stmt.where(
        or_(col(CaseRecord.claimant_name).contains(q), col(CaseRecord.case_id).startswith(q))
    )


def by_national_id(
    runtime: Runtime, national_id: str, loc: list[str]
) -> SelectOfScalar[CaseRecord]:
    """That person's cases, found by the keyed hash of the validated number (422 at `loc`
    when it is not a valid identity number)."""
    try:
        nid = validate_national_id(national_id)
    except InvalidIdentifier as err:
        raise ActionError(422, str(err), loc) from err
    return select(CaseRecord).where(
        col(CaseRecord.national_id_hash) == runtime.keys.search_hash(nid)
    )


def page_of(
    session: Session, stmt: SelectOfScalar[CaseRecord], *, limit: int, offset: int = 0
) -> tuple[list[CaseRecord], int]:
    """One page of the cases `stmt` finds, newest activity first, and how many it finds."""
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(CaseRecord.updated_at).desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total
