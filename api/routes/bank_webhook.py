"""The bank's status webhook: signed pain.002 reports, checked before anything changes (size
cap before the signature, signature over the bank's timestamp and the body, the timestamp
within the window of our clock, the report's message ID never seen before), kept as received
(table bank_status_reports), and the payment run told the report's ID: the run's history
holds references, not the statuses of every transaction."""

from __future__ import annotations

import hashlib
import logging

from fastapi import APIRouter, HTTPException, Request
from temporalio.service import RPCError, RPCStatusCode

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.threads import in_thread
from db import payments
from db.bank_messages import keep_report, release_message, seen_before
from iso20022.bank_signature import BadSignature, check
from iso20022.errors import MessageError
from iso20022.pain002 import parse_pain002
from payloads.payments import StatusReportRef
from workflows import ids
from workflows.payment_run import PaymentRunWorkflow

router = APIRouter(prefix="/bank", tags=["bank"])
log = logging.getLogger(__name__)


async def capped_body(request: Request, cap: int) -> bytes:
    """The request's body, refused with 413 past `cap` bytes (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise HTTPException(413, f"body over {cap} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise HTTPException(413, f"body over {cap} bytes")
    return bytes(body)


@router.post(
    "/webhook",
    status_code=202,
    responses={
        401: {"description": "bad or missing signature, or outside the time window"},
        409: {"description": "a message ID seen before (a replay)"},
        413: {"description": "larger than the bank message cap"},
        422: {"description": "a malformed pain.002 or one naming unknown payments"},
        503: {"description": "the payment run could not be told (Temporal unreachable): resend"},
    },
)
async def bank_webhook(
    request: Request, runtime: RuntimeDep, session: SessionDep, client: TemporalClientDep
) -> dict[str, int]:
    """Per-transaction statuses (pain.002) from the bank, HMAC-signed over its timestamp and
    the body; 202 when accepted, 401 unsigned or stale, 409 a message ID seen before, 413 too
    large, 503 when the run cannot be told now (the bank sends it again)."""
    s = runtime.settings
    body = await capped_body(request, s.bank_message_max_bytes)
    now = await runtime.clock.now(client)
    try:
        check(body, s.bank_webhook_secret, request.headers, now, s.bank_signature_window_seconds)
    except BadSignature as err:
        log.warning("bank webhook refused: %s", err)
        raise HTTPException(401, f"bad or missing signature: {err}") from None
    try:
        report = parse_pain002(body)
    except MessageError as err:
        log.warning("bank webhook refused: %s", err)
        raise HTTPException(422, f"malformed pain.002: {err}") from err
    run = payments.find_run(session, run_id=report.original_msg_id)
    if run is None:
        log.warning("bank webhook refused: unknown message %s", report.original_msg_id)
        raise HTTPException(422, f"unknown original message ID {report.original_msg_id}")
    e2e_ids = [s.end_to_end_id for s in report.statuses]
    known = payments.known_end_to_end_ids(session, run_id=run.run_id, end_to_end_ids=e2e_ids)
    unknown = sorted(set(e2e_ids) - known)
    if unknown:
        log.warning("bank webhook refused: unknown end-to-end IDs %s", unknown[:5])
        raise HTTPException(422, f"unknown end-to-end IDs in run {run.run_id}: {unknown[:20]}")
    if seen_before(session, report.msg_id):
        log.warning("bank webhook refused: message %s seen before", report.msg_id)
        raise HTTPException(409, f"message ID {report.msg_id} taken already (a replay)")
    run_id, completed = run.run_id, run.status == "completed"
    session.rollback()  # end the read transaction: nothing below holds it open
    ref = StatusReportRef(hashlib.sha256(body).hexdigest(), len(report.statuses))
    # kept before the run hears of it, late ones too (evidence), off the event loop
    kept = await in_thread(
        lambda: keep_report(
            runtime.engine,
            report_id=ref.report_id,
            statuses=ref.statuses,
            run_id=run_id,
            msg_id=report.msg_id,
            body=body,
            at=now,
        )
    )
    if not kept:
        raise HTTPException(409, f"message ID {report.msg_id} taken already (a replay)")
    if completed:  # every transaction is final already (a late or repeated report)
        return {"accepted": 0}
    try:
        await client.get_workflow_handle(ids.payment_run(run_id)).signal(
            PaymentRunWorkflow.bank_report, ref
        )
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:  # a finished run: NOT_FOUND on both servers
            # Temporal unreachable: the run has not heard of the report. Its message ID is
            # given back so the bank's retry is taken (not refused as a replay, which left the
            # run waiting for its next poll, hours away: tests/faults), the report stays kept.
            await in_thread(lambda: release_message(runtime.engine, msg_id=report.msg_id))
            log.warning("run %s not told of report %s (%s): 503", run_id, report.msg_id, err)
            raise HTTPException(503, "payment run unreachable; send the report again") from None
        log.info("run %s has finished; its statuses were applied already", run_id)
        return {"accepted": 0}
    return {"accepted": ref.statuses}
