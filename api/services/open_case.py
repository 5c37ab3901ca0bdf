"""Which case an intake goes to: the person's open case, a new one, or none (409).

One person, one open case (issue 9 §4): before an intake signals-with-start a case, the
register of open cases (db/open_cases.py, keyed by the identity hash) is looked up. No open
case: the intake claims the register's row for a new case (its ID the keyed hash of the
identity number and this separation date); a race of two intakes lets one insert win and the
other look again. An open case: the rule of domain/open_cases.py says whether the intake joins
it (the submission is then noted with a compare-and-set) or is a parallel intake, refused with
409 naming the open case. A register row whose workflow has finished (a lapsed case whose
late-registration window closed, a test server gone) is released and the look-up repeated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from api.runtime import Runtime
from api.services import ActionError
from api.threads import in_thread
from db import open_cases
from db.models import CaseRecord
from domain.open_cases import Kind, OpenCaseView, match_intake
from workflows import ids

ATTEMPTS = 5  # each lost race means another intake changed the row: look again


class OpenCaseConflict(ActionError):
    """409: the person has an open case this intake does not belong to."""

    def __init__(self, case_id: str, why: str) -> None:
        super().__init__(
            409,
            f"this person already has an open case {case_id} ({why}); a parallel case "
            "cannot be opened: file to that case or settle it first",
        )
        self.case_id = case_id


@dataclass(frozen=True)
class Route:
    case_id: str
    new: bool  # this intake claimed the register's row for a new case


def _view(runtime: Runtime, row: open_cases.OpenCase) -> OpenCaseView:
    with Session(runtime.engine) as session:
        rec = session.get(CaseRecord, row.case_id)
    return OpenCaseView(
        case_id=row.case_id,
        report_separation=row.report_separation,
        registration_separation=row.registration_separation,
        employer_uscc=row.employer_uscc,
        in_intake=rec is None or rec.stage == "intake",
    )


def _has_record(runtime: Runtime, case_id: str) -> bool:
    with Session(runtime.engine) as session:
        return session.get(CaseRecord, case_id) is not None


async def _gone(runtime: Runtime, client: Client, case_id: str) -> bool:
    """Has the case's workflow finished, or vanished after it had run? A claim whose workflow
    is not found and has no case record is an intake still starting it: not gone."""
    try:
        desc = await client.get_workflow_handle(ids.case(case_id)).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return await in_thread(_has_record, runtime, case_id)
        raise
    return desc.status != WorkflowExecutionStatus.RUNNING


async def route(
    runtime: Runtime,
    client: Client,
    *,
    kind: Kind,
    national_id: str,
    separation: date,
    employer_uscc: str | None,
) -> Route:
    """The case this intake goes to; OpenCaseConflict when it is a parallel intake."""
    engine = runtime.engine
    identity = runtime.keys.search_hash(national_id)
    for _ in range(ATTEMPTS):
        row = await in_thread(open_cases.find, engine, identity)
        if row is None:
            case_id = runtime.keys.case_id(national_id, separation)
            now = await runtime.clock.now(client if runtime.clock.simulated else None)
            if await in_thread(
                open_cases.claim, engine, identity, case_id, kind, separation, employer_uscc, now
            ):
                return Route(case_id, new=True)
            continue
        verdict = match_intake(
            await in_thread(_view, runtime, row), kind, separation, employer_uscc
        )
        if not verdict.joins:
            if await _gone(runtime, client, row.case_id):
                await in_thread(open_cases.release, engine, row.case_id)
                continue
            raise OpenCaseConflict(row.case_id, verdict.why)
        if await in_thread(
            open_cases.record, engine, identity, row.case_id, kind, separation, employer_uscc
        ):
            return Route(row.case_id, new=False)
    raise ActionError(409, "other intakes for this person are being filed right now; try again")


async def release(runtime: Runtime, case_id: str) -> None:
    """The routed case turned out closed: the person may open a new one."""
    await in_thread(open_cases.release, runtime.engine, case_id)
