"""The bank's status webhook: signed pain.002 reports, checked before anything changes (size
cap before the signature, signature over the bank's timestamp and the body, the timestamp
within the window of our clock, the report's message ID never seen before), kept as received
(table bank_status_reports), and the payment run told the report's ID: the run's history
holds references, not the statuses of every transaction."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio.service import RPCError, RPCStatusCode

from api.deps import RuntimeDep, SessionDep, TemporalClientDep
from api.threads import in_thread
from db.bank_messages import seen_before
from db.models import BankMessageSeen, BankStatusReport, Payment, PaymentRun
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
    run = session.get(PaymentRun, report.original_msg_id)
    if run is None:
        log.warning("bank webhook refused: unknown message %s", report.original_msg_id)
        raise HTTPException(422, f"unknown original message ID {report.original_msg_id}")
    e2e_ids = [s.end_to_end_id for s in report.statuses]
    known = set(
        session.exec(
            select(Payment.end_to_end_id).where(
                Payment.run_id == run.run_id, col(Payment.end_to_end_id).in_(e2e_ids)
            )
        ).all()
    )
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
    if not await in_thread(keep_report, runtime.engine, ref, run_id, report.msg_id, body, now):
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
            await in_thread(release_message, runtime.engine, report.msg_id)
            log.warning("run %s not told of report %s (%s): 503", run_id, report.msg_id, err)
            raise HTTPException(503, "payment run unreachable; send the report again") from None
        log.info("run %s has finished; its statuses were applied already", run_id)
        return {"accepted": 0}
    return {"accepted": ref.statuses}


def release_message(engine: Engine, msg_id: str) -> None:
    """Forget a message ID taken by a report the run could not be told of."""
    with Session(engine) as session:
        seen = session.get(BankMessageSeen, msg_id)
        if seen is not None:
            session.delete(seen)
            session.commit()


def keep_report(
    engine: Engine, ref: StatusReportRef, run_id: str, msg_id: str, body: bytes, at: datetime
) -> bool:
    """Store the verified report as received with its message ID taken, in one transaction;
    False when the message ID was taken already (a replay: nothing written)."""
    with Session(engine) as session:
        if seen_before(session, msg_id):
            return False
        kept = session.get(BankStatusReport, ref.report_id) is not None  # the same bytes
        session.add(BankMessageSeen(msg_id=msg_id, kind="pain.002", received_at=at))
        if not kept:
            session.add(
                BankStatusReport(
                    report_id=ref.report_id,
                    run_id=run_id,
                    msg_id=msg_id,
                    statuses=ref.statuses,
                    received_at=at,
                    body=body,
                )
            )
        try:
            session.commit()
        except IntegrityError:  # delivered twice at once: the other request stored it
            session.rollback()
            if session.get(BankMessageSeen, msg_id) is None:
                raise
            return False
        return True
