"""The medical-insurance agency's late answers: signed JSON, checked against what we declared
before anything is kept (a bad signature, an unknown batch, line or person is refused and
nothing applied), then the declaration's workflow is told the batch key; it applies the
kept answer itself."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from temporalio.service import RPCError, RPCStatusCode

from activities.medical_wire import AnswerRefused, keep_answer, read_answer
from api.deps import RuntimeDep, TemporalClientDep
from api.threads import in_thread
from iso20022.signing import verify
from medagency.protocol import SIGNATURE_HEADER
from payloads.medical import AgencyAnswerRef
from workflows.medical_declaration import MedicalDeclarationWorkflow

router = APIRouter(prefix="/medical", tags=["medical"])
log = logging.getLogger(__name__)


@router.post(
    "/webhook",
    status_code=202,
    responses={
        401: {"description": "bad or missing signature"},
        422: {"description": "a malformed notification"},
    },
)
async def medical_agency_webhook(
    request: Request, runtime: RuntimeDep, client: TemporalClientDep
) -> dict[str, int]:
    """A declaration batch's answer from the medical-insurance agency, HMAC-signed."""
    body = await request.body()
    secret = runtime.settings.medagency_webhook_secret
    if not verify(body, secret, request.headers.get(SIGNATURE_HEADER)):
        log.warning("medical agency webhook refused: bad or missing signature")
        raise HTTPException(401, "bad or missing signature")
    at = await runtime.clock.now(client)
    try:
        answer = read_answer(body)
        workflow_id = await in_thread(keep_answer, runtime.engine, answer, at)
    except AnswerRefused as err:
        log.warning("medical agency webhook refused: %s", err)
        raise HTTPException(422, str(err)) from None
    try:
        await client.get_workflow_handle(workflow_id).signal(
            MedicalDeclarationWorkflow.agency_answer, AgencyAnswerRef(answer.batch_key)
        )
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:  # a finished declaration: NOT_FOUND
            raise
        log.info("declaration %s has finished; its answer was applied already", workflow_id)
    return {"lines": len(answer.lines)}
