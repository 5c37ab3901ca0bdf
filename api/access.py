"""Authorization at the object level, and the audit of every refusal (issue 13 §3).

Role gates live in api/deps.py (REST) and api/pages/web.py (pages); here: a case (or a task
of a case) of another region is refused to region-scoped staff, and every 403 the app answers
(REST or page) is written to the audit log through db/audit.py, naming the user (or
"anonymous"), the method, the path and the reason."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import body_not_parsed
from api.runtime import Runtime
from api.threads import in_thread
from db import audit
from db.engine import session_scope
from db.models import CaseRecord, User
from domain.access import describe_regions, regions_of, sees_region

log = logging.getLogger("api")
SESSION_COOKIE = "staff_session"  # api.pages.web.SESSION_COOKIE (not imported: no cycle)


def region_refusal(user: User, case_id: str, region_code: str) -> HTTPException:
    return HTTPException(
        403,
        f"case {case_id} is of region {region_code}; "
        f"{user.username} works {describe_regions(user.regions)}",
    )


def check_case_region(session: Session, user: User, case_id: str) -> CaseRecord | None:
    """The case's row (None if unknown); a 403 if it is of a region the user does not work."""
    row = session.get(CaseRecord, case_id)
    if row is not None and not sees_region(user.regions, row.region_code):
        raise region_refusal(user, case_id, row.region_code)
    return row


async def check_case_region_off_loop(runtime: Runtime, user: User, case_id: str) -> None:
    """check_case_region on the read pool, for async routes (nothing to check for users of
    every region)."""
    if regions_of(user.regions) is None:
        return

    def run() -> None:
        with Session(runtime.reads) as session:
            check_case_region(session, user, case_id)

    await in_thread(run)


def region_filter(user: User) -> tuple[str, ...] | None:
    """The user's regions for a worklist filter (TaskFilters.regions); None: every region."""
    regions = regions_of(user.regions)
    return None if regions is None else tuple(sorted(regions))


# ---- refusals are audited --------------------------------------------------------------------


def _actor(request: Request) -> str:
    """The user a request's token names (signed; expired or revoked still names them)."""
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return "anonymous"
    header = request.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else None
    token = token or request.cookies.get(SESSION_COOKIE)
    claims = runtime.users.claims(token, runtime.settings.secret_key) if token else None
    return claims.username[:64] if claims is not None else "anonymous"


async def audit_refusal(request: Request, detail: object) -> None:
    """One audit row for a 403: who, what (method and path) and why."""
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return
    path, at, actor = request.url.path, datetime.now(UTC), _actor(request)

    def write() -> None:
        with session_scope(runtime.engine) as session:
            audit.write(
                session,
                key=f"refused:{uuid.uuid4().hex}",
                at=at,
                actor=actor,
                action="access_refused",
                entity_type="route",
                entity_id=path[:96],
                reason=str(detail)[:500],
                data={"method": request.method, "path": path[:512]},
            )

    try:
        await in_thread(write)
    except Exception:  # the refusal stands even if its audit row cannot be written
        log.exception("could not audit a refusal of %s %s", request.method, path)


async def http_error_audited(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer for an HTTPException, a 403 audited first (a body that cannot be
    read answered as a 422 at `body`: api/errors.body_not_parsed)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 403:
        await audit_refusal(request, exc.detail)
        return await http_exception_handler(request, exc)
    return await body_not_parsed(request, exc)
