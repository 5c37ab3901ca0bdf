"""The bank's status webhook: signed pain.002 reports, checked before anything changes, kept
as received (table bank_status_reports), and the payment run told the report's ID: the run's
history holds references, not the statuses of every transaction."""

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
from db.models import BankStatusReport, Payment, PaymentRun
from iso20022.errors import MessageError
from iso20022.pain002 import parse_pain002
from iso20022.signing import verify
from payloads.payments import StatusReportRef
from workflows import ids
from workflows.payment_run import PaymentRunWorkflow

router = APIRouter(prefix="/bank", tags=["bank"])
log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Bank-Signature"


@router.post(
    "/webhook",
    status_code=202,
    responses={
        401: {"description": "bad or missing signature"},
        422: {"description": "a malformed pain.002 or one naming unknown payments"},
    },
)
async def bank_webhook(
    request: Request, runtime: RuntimeDep, session: SessionDep, client: TemporalClientDep
) -> dict[str, int]:
    """Per-transaction statuses (pain.002) from the bank, HMAC-signed; 202 when accepted."""
    body = await request.body()
    if not verify(
        body, runtime.settings.bank_webhook_secret, request.headers.get(SIGNATURE_HEADER)
    ):
        log.warning("bank webhook refused: bad or missing signature")
        raise HTTPException(401, "bad or missing signature")
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
    run_id, completed = run.run_id, run.status == "completed"
    session.rollback()  # end the read transaction: nothing below holds it open
    ref = StatusReportRef(hashlib.sha256(body).hexdigest(), len(report.statuses))
    at = await runtime.clock.now(client)
    # kept before the run hears of it, late ones too (evidence), off the event loop
    await in_thread(keep_report, runtime.engine, ref, run_id, report.msg_id, body, at)
    if completed:  # every transaction is final already (a late or repeated report)
        return {"accepted": 0}
    try:
        await client.get_workflow_handle(ids.payment_run(run_id)).signal(
            PaymentRunWorkflow.bank_report, ref
        )
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:  # a finished run: NOT_FOUND on both servers
            raise
        log.info("run %s has finished; its statuses were applied already", run_id)
        return {"accepted": 0}
    return {"accepted": ref.statuses}


def keep_report(
    engine: Engine, ref: StatusReportRef, run_id: str, msg_id: str, body: bytes, at: datetime
) -> None:
    """Store the verified report as received; the same report delivered again (the same
    bytes) is the row already there."""
    with Session(engine) as session:
        if session.get(BankStatusReport, ref.report_id) is not None:
            return
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
            if session.get(BankStatusReport, ref.report_id) is None:
                raise
